package config

import (
	"strconv"
	"strings"
)

// Error is one problem in a config file, located by file, line and the
// path of the field in YAML keys (checks[1].grace).
type Error struct {
	File string
	Line int // 1-based; 0 if the problem has no line (an unreadable file)
	Path string
	Msg  string
}

// Error formats the problem as "file:line: path: msg", leaving out the
// parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a config file, in line order.
type ErrorList []*Error

// Error joins the problems, one per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}
