package mailformat

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClientDoesNotImportServer keeps the cut this package exists for: the
// client (UI, session and its API, the whisper node, the RPC node) reaches the request and
// completion formats through mailformat and never links the server behind
// `hush serve`. Only package main, which wires serve mode, imports it.
func TestClientDoesNotImportServer(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list dependencies: %v", err)
	}
	const server = "hush/whisper/mailserver"
	for _, client := range []string{"hush/whisper", "hush/whisper/rpcnode", "hush/session", "hush/session/api", "hush/ui"} {
		out, err := exec.Command(goTool, "list", "-deps", client).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", client, err, out)
		}
		deps := strings.Fields(string(out))
		var sawFormats bool
		for _, dep := range deps {
			if dep == server {
				t.Errorf("%s depends on %s", client, server)
			}
			sawFormats = sawFormats || dep == "hush/whisper/mailformat"
		}
		if !sawFormats {
			t.Errorf("%s does not depend on hush/whisper/mailformat; the list (%d packages) looks wrong", client, len(deps))
		}
	}
}
