package ui

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// noteMarkdown renders what people write on a timeline (notes, manual
// entries) as GitHub-flavoured Markdown. goldmark, as configured here,
// escapes raw HTML and drops dangerous links (javascript: and the like),
// so the result is safe to put in a page as is.
var noteMarkdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// markdown is text rendered as Markdown; text that does not render is
// shown as it is, escaped.
func markdown(text string) template.HTML {
	var b bytes.Buffer
	if err := noteMarkdown.Convert([]byte(text), &b); err != nil {
		return template.HTML(template.HTMLEscapeString(text))
	}
	return template.HTML(b.String())
}
