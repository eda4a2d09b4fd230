package pgarchive

import (
	"os"
	"testing"

	"hush/store/archivetest"
	"hush/store/pgtest"
)

// pg is this package's throwaway PostgreSQL cluster.
var pg pgtest.Shared

func TestMain(m *testing.M) { os.Exit(pg.Main(m)) }

func openTest(t *testing.T, url string) *Archive {
	t.Helper()
	a, err := Open(url, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// TestArchiveContract runs the same archive tests as the SQLite store's.
func TestArchiveContract(t *testing.T) {
	urls := map[archivetest.Archive]string{}
	archivetest.Run(t, archivetest.Opener{
		Open: func(t *testing.T) archivetest.Archive {
			url := pg.Database(t)
			a := openTest(t, url)
			urls[a] = url
			return a
		},
		OpenAgain: func(t *testing.T, a archivetest.Archive) archivetest.Archive {
			return openTest(t, urls[a])
		},
	})
}
