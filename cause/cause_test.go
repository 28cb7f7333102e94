package cause

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestReasonsAreStableCamelCaseAndUnique(t *testing.T) {
	camel := regexp.MustCompile(`^[A-Z][A-Za-z]+$`)
	seen := map[string]bool{}
	for _, c := range All() {
		if !camel.MatchString(c.Reason()) {
			t.Errorf("reason %q is not CamelCase", c.Reason())
		}
		if seen[c.Reason()] {
			t.Errorf("reason %q defined twice", c.Reason())
		}
		seen[c.Reason()] = true
		if c.Hint() == "" {
			t.Errorf("%s has no hint", c.Reason())
		}
		if ByReason(c.Reason()) != c {
			t.Errorf("ByReason(%q) did not return the cause", c.Reason())
		}
	}
}

func TestMatchingThroughWrapping(t *testing.T) {
	base := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	e := Wrap(RegistryUnreachable, base, "cannot reach 127.0.0.1:1")
	wrapped := fmt.Errorf("pulling x: %w", e)
	if !errors.Is(wrapped, RegistryUnreachable) {
		t.Fatal("errors.Is did not find the cause")
	}
	if errors.Is(wrapped, Unauthorized) {
		t.Fatal("errors.Is matched the wrong cause")
	}
	if !errors.Is(wrapped, base) {
		t.Fatal("errors.Is did not find the underlying error")
	}
	if Of(wrapped) != RegistryUnreachable {
		t.Fatalf("Of = %v", Of(wrapped))
	}
	if got := e.Error(); got != "cannot reach 127.0.0.1:1" {
		t.Fatalf("message %q", got)
	}
}

func TestOf(t *testing.T) {
	if Of(nil) != nil {
		t.Fatal("Of(nil) != nil")
	}
	if Of(context.Canceled) != Canceled {
		t.Fatal("context.Canceled is not Canceled")
	}
	if Of(errors.New("x")) != Unknown {
		t.Fatal("plain error is not Unknown")
	}
	if Of(fmt.Errorf("w: %w", TagNotFound)) != TagNotFound {
		t.Fatal("bare sentinel not found")
	}
}

func TestRetryAfter(t *testing.T) {
	e := &Error{Cause: RateLimited, Message: "slow down", RetryAfter: 7 * time.Second}
	if got := RetryAfterOf(fmt.Errorf("x: %w", e)); got != 7*time.Second {
		t.Fatalf("RetryAfterOf = %v", got)
	}
	if !RateLimited.Retryable() || TagNotFound.Retryable() {
		t.Fatal("retryability wrong")
	}
}

func TestRetryableIsTheCausesRule(t *testing.T) {
	for _, c := range All() {
		err := fmt.Errorf("x: %w", Wrap(c, errors.New("y"), "z"))
		if Retryable(err) != c.Retryable() {
			t.Errorf("Retryable(%s) = %v, want %v", c.Reason(), Retryable(err), c.Retryable())
		}
	}
	if Retryable(nil) {
		t.Error("Retryable(nil)")
	}
}
