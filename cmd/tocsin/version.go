package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// versionText says what this binary is: the release version given at build
// time, the commit it was built from and the Go that built it, read from
// the build information the go command embeds.
func versionText(info *debug.BuildInfo, ok bool) string {
	commit, when, modified := "unknown", "", false
	goVersion := runtime.Version()
	if ok {
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	out := fmt.Sprintf("tocsin %s\ncommit %s", version, commit)
	if modified {
		out += " (modified)"
	}
	if when != "" {
		out += "\ncommitted " + when
	}
	return out + fmt.Sprintf("\n%s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}

func printVersion(stdout io.Writer) int {
	info, ok := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(info, ok))
	return 0
}
