package main

import "runtime/debug"

// release is hush's version number, bumped by hand at a release.
const release = "0.1.0-dev"

// version names this build: the release, then the module version or the
// VCS revision Go stamped into the binary when there is one.
func version() string {
	if b := buildInfo(); b != "" {
		return release + " (" + b + ")"
	}
	return release
}

// buildInfo is the module version of a tagged build, else the VCS
// revision ("+dirty" for uncommitted changes), else "".
func buildInfo() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
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
	tagged := v != "" && v != "(devel)"
	switch {
	case rev != "" && tagged:
		return v + ", " + rev[:min(len(rev), 12)] + modified
	case rev != "":
		return rev[:min(len(rev), 12)] + modified
	case tagged:
		return v
	}
	return ""
}
