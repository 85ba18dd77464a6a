package views

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// Badge is a span of class list class around text: the status badges every list row carries.
// It is written out directly: as class={ … } in a template, each would go through templ's
// class processor (a slice, a processor and a string builder a row), which showed in the list
// pages' profiles. The markup is the same.
func Badge(class, text string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<span class="`+templ.EscapeString(class)+`">`+templ.EscapeString(text)+`</span>`)
		return err
	})
}
