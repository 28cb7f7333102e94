package cli

import (
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"

	"github.com/pullwarden/pullwarden/cause"
	"github.com/pullwarden/pullwarden/credential"
	"github.com/pullwarden/pullwarden/pull"
	"github.com/pullwarden/pullwarden/reference"
	"github.com/pullwarden/pullwarden/registry"
)

func newAuthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Inspect registry credentials",
	}
	cmd.AddCommand(newAuthCheckCmd(g))
	return cmd
}

type authAttempt struct {
	Credential string `json:"credential"`
	Server     string `json:"server,omitempty"`
	Accepted   bool   `json:"accepted"`
	Reason     string `json:"reason,omitempty"`
	Message    string `json:"message,omitempty"`
}

func newAuthCheckCmd(g *globals) *cobra.Command {
	var (
		creds    credentialFlags
		insecure []string
		output   string
	)
	cmd := &cobra.Command{
		Use:   "check IMAGE",
		Short: "Show which credentials match an image and whether the registry accepts them",
		Long: `Show the credentials that match IMAGE, in the order the kubelet tries them
(pod secrets first, then node credentials, most specific key first), and ask
the registry whether each is accepted. Credentials are named by where they come
from, never shown. With no match, one anonymous attempt is checked, as in a
pull.`,
		Args: exactArgs(1, "IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ref, err := reference.Parse(args[0])
			if err != nil {
				return err
			}
			ring, err := creds.keyring(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			client := registry.New(registry.Options{Insecure: insecure, Logger: g.logger(cmd.ErrOrStderr())})
			// The pull's own loop (credential.Try with pull.Refused): the
			// same credentials in the same order, stopping where a pull stops.
			var attempts []authAttempt
			_, _, _ = credential.Try(ring, ref.Name(), pull.Refused, func(c *credential.Credential) error {
				name, server, auth := "anonymous (no credential matches "+ref.Name()+")", "", authn.Anonymous
				if c != nil {
					name, server, auth = c.Source, c.Server, c.Authenticator()
				}
				_, err := client.Resolve(ctx, ref, auth)
				a := authAttempt{Credential: name, Server: server, Accepted: err == nil}
				if err != nil {
					c := cause.Of(err)
					a.Reason, a.Message = c.Reason(), err.Error()
					// The registry got past authentication: the credential works.
					a.Accepted = !pull.Refused(err) && c != cause.RegistryUnreachable
				}
				attempts = append(attempts, a)
				return err
			})
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), attempts)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Image: %s\n", ref)
			for i, a := range attempts {
				verdict := "accepted"
				if !a.Accepted {
					verdict = "refused"
				}
				fmt.Fprintf(w, "%d. %s: %s\n", i+1, a.Credential, verdict)
				if a.Reason != "" {
					fmt.Fprintf(w, "   %s: %s\n", a.Reason, a.Message)
				}
			}
			last := attempts[len(attempts)-1]
			if !last.Accepted {
				return &reportedError{errors.New("no credential was accepted")}
			}
			return nil
		},
	}
	creds.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&insecure, "insecure-registry", nil, "registry HOST[:PORT] to reach over plain HTTP (loopback always is); repeatable")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json")
	return cmd
}
