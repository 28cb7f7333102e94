package reason_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pullwarden/pullwarden/reason"
)

func TestConstants(t *testing.T) {
	t.Parallel()
	pinned := [][2]string{
		{reason.TypeNormal, "Normal"},
		{reason.TypeWarning, "Warning"},

		{reason.ContainerCreating, "ContainerCreating"},
		{reason.PodInitializing, "PodInitializing"},
		{reason.ErrImagePull, "ErrImagePull"},
		{reason.ImagePullBackOff, "ImagePullBackOff"},
		{reason.ErrImageNeverPull, "ErrImageNeverPull"},
		{reason.InvalidImageName, "InvalidImageName"},
		{reason.ImageInspectError, "ImageInspectError"},
		{reason.RegistryUnavailable, "RegistryUnavailable"},
		{reason.SignatureValidationFailed, "SignatureValidationFailed"},
		{reason.CrashLoopBackOff, "CrashLoopBackOff"},
		{reason.CreateContainerConfigError, "CreateContainerConfigError"},
		{reason.CreateContainerError, "CreateContainerError"},
		{reason.PreCreateHookError, "PreCreateHookError"},
		{reason.PreStartHookError, "PreStartHookError"},
		{reason.PostStartHookError, "PostStartHookError"},
		{reason.RunContainerError, "RunContainerError"},
		{reason.KillContainerError, "KillContainerError"},
		{reason.CreatePodSandboxError, "CreatePodSandboxError"},
		{reason.ConfigPodSandboxError, "ConfigPodSandboxError"},
		{reason.KillPodSandboxError, "KillPodSandboxError"},

		{reason.Completed, "Completed"},
		{reason.Error, "Error"},
		{reason.OOMKilled, "OOMKilled"},
		{reason.StartError, "StartError"},
		{reason.ContainerStatusUnknown, "ContainerStatusUnknown"},

		{reason.EventScheduled, "Scheduled"},
		{reason.EventPulling, "Pulling"},
		{reason.EventPulled, "Pulled"},
		{reason.EventFailed, "Failed"},
		{reason.EventBackOff, "BackOff"},
		{reason.EventInspectFailed, "InspectFailed"},
		{reason.EventErrImageNeverPull, "ErrImageNeverPull"},
		{reason.EventFailedToRetrieveImagePullSecret, "FailedToRetrieveImagePullSecret"},
		{reason.EventCreated, "Created"},
		{reason.EventStarted, "Started"},
		{reason.EventKilling, "Killing"},
		{reason.EventPreempting, "Preempting"},
		{reason.EventExceededGracePeriod, "ExceededGracePeriod"},
		{reason.EventFailedPostStartHook, "FailedPostStartHook"},
		{reason.EventFailedPreStopHook, "FailedPreStopHook"},
		{reason.EventUnhealthy, "Unhealthy"},
		{reason.EventFailedKillPod, "FailedKillPod"},
		{reason.EventFailedCreatePodSandBox, "FailedCreatePodSandBox"},
		{reason.EventSandboxChanged, "SandboxChanged"},
		{reason.EventNetworkNotReady, "NetworkNotReady"},
		{reason.EventFailedSync, "FailedSync"},
		{reason.EventFailedMount, "FailedMount"},

		{reason.StatusPending, "Pending"},
		{reason.StatusRunning, "Running"},
		{reason.StatusSucceeded, "Succeeded"},
		{reason.StatusFailed, "Failed"},
		{reason.StatusTerminating, "Terminating"},
		{reason.StatusUnknown, "Unknown"},
		{reason.StatusInitPrefix, "Init:"},

		{reason.ImagePullQPSExceeded, "pull QPS exceeded"},
		{reason.ContainerCreated, "Container created"},
		{reason.ContainerStarted, "Container started"},
		{reason.EventDeadlineExceeded, "DeadlineExceeded"},
		{reason.DeadlineExceeded, "DeadlineExceeded"},
		{reason.DeadlineExceededMessage, "Pod was active on the node longer than the specified deadline"},
	}
	for _, p := range pinned {
		if got, want := p[0], p[1]; got != want {
			t.Errorf("constant = %q, want %q", got, want)
		}
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	const img = "docker.io/library/nginx:1.27"
	notFound := errors.New(`rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": docker.io/library/nginx:1.27: not found`)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"pulling", reason.PullingImage("busybox"), `Pulling image "busybox"`},
		{"pulled ms", reason.SuccessfullyPulled("X", 22*time.Millisecond+417*time.Microsecond, 22*time.Millisecond+999*time.Microsecond, 1145986),
			`Successfully pulled image "X" in 22ms (22ms including waiting). Image size: 1145986 bytes.`},
		{"pulled seconds", reason.SuccessfullyPulled("ghcr.io/actions/actions-runner:latest", 796*time.Millisecond+300*time.Microsecond, 1594*time.Millisecond+999999, 543804759),
			`Successfully pulled image "ghcr.io/actions/actions-runner:latest" in 796ms (1.594s including waiting). Image size: 543804759 bytes.`},
		{"pulled minutes", reason.SuccessfullyPulled("big", 62*time.Second+500*time.Millisecond+1, 63*time.Second, 1),
			`Successfully pulled image "big" in 1m2.5s (1m3s including waiting). Image size: 1 bytes.`},
		{"present", reason.AlreadyPresent("nginx:1.27"), `Container image "nginx:1.27" already present on machine`},
		{"present accessible", reason.AlreadyPresentAccessible("curlimages/curl:8.21.0"),
			`Container image "curlimages/curl:8.21.0" already present on machine and can be accessed by the pod`},
		{"failed", reason.FailedToPull(img, notFound), `Failed to pull image "` + img + `": ` + notFound.Error()},
		{"error reason", reason.ErrorReason(reason.ErrImagePull), "Error: ErrImagePull"},
		{"error backoff", reason.ErrorReason(reason.ImagePullBackOff), "Error: ImagePullBackOff"},
		{"backoff event", reason.BackOffPulling(img), `Back-off pulling image "` + img + `"`},
		{"backoff waiting", reason.BackOffPullingMessage(img, reason.ErrImagePull, notFound.Error()),
			`Back-off pulling image "` + img + `": ErrImagePull: ` + notFound.Error()},
		{"backoff waiting no memory", reason.BackOffPullingMessage(img, "", ""), `Back-off pulling image "` + img + `"`},
		{"never", reason.NeverPull("app:v1"), `Container image "app:v1" is not present with pull policy of Never`},
		{"inspect", reason.InspectFailed("Nginx:1", errors.New(`couldn't parse image name "Nginx:1": invalid reference format: repository name (library/Nginx) must be lowercase`)),
			`Failed to apply default image tag "Nginx:1": couldn't parse image name "Nginx:1": invalid reference format: repository name (library/Nginx) must be lowercase`},
		{"inspect runtime", reason.FailedToInspect("a:b", errors.New("boom")), `Failed to inspect image "a:b": boom`},
		{"registry unavailable", reason.RegistryUnavailableMessage("a:b", ": dial tcp: connection refused"),
			"image pull failed for a:b because the registry is unavailable: dial tcp: connection refused"},
		{"registry unavailable bare", reason.RegistryUnavailableMessage("a:b", ""), "image pull failed for a:b because the registry is unavailable"},
		{"signature", reason.SignatureValidationFailedMessage("a:b", ": untrusted"), "image pull failed for a:b because the signature validation failed: untrusted"},
		{"secrets", reason.FailedToRetrieveImagePullSecret([]string{"regcred", "other"}),
			"Unable to retrieve some image pull secrets (regcred, other); attempting to pull the image may not succeed."},
		{"definition changed", reason.DefinitionChanged("app"), "Container app definition changed, will be restarted"},
		{"killing", reason.KillingContainer("reader"), "Stopping container reader"},
		{"pod desc", reason.PodDesc("p", "ns", "uid-1"), "p_ns(uid-1)"},
		{"crash event", reason.BackOffRestarting("postgres-container", reason.PodDesc("postgres-deployment-558f7db69-ht8mc", "default", "2973d420-da17-4e8a-81b3-536b16d6abc8")),
			"Back-off restarting failed container postgres-container in pod postgres-deployment-558f7db69-ht8mc_default(2973d420-da17-4e8a-81b3-536b16d6abc8)"},
		{"crash waiting", reason.CrashLoopMessage(5*time.Minute, "app", reason.PodDesc("p", "ns", "u")),
			"back-off 5m0s restarting failed container=app pod=p_ns(u)"},
		{"crash waiting 20s", reason.CrashLoopMessage(20*time.Second, "app", "p_ns(u)"), "back-off 20s restarting failed container=app pod=p_ns(u)"},
		{"scheduled", reason.Scheduled("default", "web", "node01"), "Successfully assigned default/web to node01"},
		{"init status", reason.InitStatus(reason.ErrImagePull), "Init:ErrImagePull"},
		{"init progress", reason.InitProgress(0, 2), "Init:0/2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got  %q\nwant %q", tc.got, tc.want)
			}
		})
	}
}
