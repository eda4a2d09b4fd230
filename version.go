package main

import "runtime/debug"

// version names this build: the module version when built from a tagged
// module, else the VCS revision Go stamped into the binary.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if v == "" || v == "(devel)" {
			return rev + modified
		}
		return v + " (" + rev + modified + ")"
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}
