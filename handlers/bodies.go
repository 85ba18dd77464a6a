package handlers

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"outlay"
)

// Request bodies are streamed (Fiber's StreamRequestBody): the server reads a body only when
// something asks for it, so nothing is kept in memory that a handler has not asked for.
//
//   - Every route but an upload takes at most smallBodyLimit. limitBody refuses a longer body
//     with a 413 as soon as its Content-Length says so (a chunked one as soon as it passes the
//     limit), before anything else runs, and reads a shorter one whole.
//   - An upload route (Route.Upload) reads nothing up front. Its form fields before the file
//     (the CSRF token) are read in small parts when the CSRF check asks for them; the file is
//     read only by the handler, after the session, the CSRF token and the route's access rule
//     were checked, and streams from the connection to the blob store.

// smallBodyLimit is the most any request other than an upload may send.
const smallBodyLimit = 1 << 20

// tooLarge refuses a body without reading (more of) it. The connection is closed after the
// answer, since what is left of the body is still on it.
func tooLarge(c *fiber.Ctx) error {
	c.Context().SetConnectionClose()
	return fiber.NewError(http.StatusRequestEntityTooLarge, "What you sent is larger than we accept.")
}

// isUpload reports whether the request is a multipart post to an upload route, matched as
// the router matches routes. Any other body, on any route, is a small one.
func (s *Server) isUpload(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodPost && isMultipart(c) && s.uploadPath(c.Path(), c.App().Config())
}

func (s *Server) uploadPath(path string, cfg fiber.Config) bool {
	for _, p := range s.uploadPaths {
		if fiber.RoutePatternMatch(path, p, cfg) {
			return true
		}
	}
	return false
}

// expectContinue answers a client that asks before sending its body ("Expect: 100-continue"):
// a body over the small limit is refused at once with a 417, so it is never sent, unless it is
// an upload's. (Any body that is sent is still held to its limit by limitBody.)
func (s *Server) expectContinue(cfg fiber.Config) func(*fasthttp.RequestHeader) bool {
	return func(h *fasthttp.RequestHeader) bool {
		if h.ContentLength() <= smallBodyLimit {
			return true
		}
		var u fasthttp.URI
		ok := u.Parse(nil, h.RequestURI()) == nil && string(h.Method()) == fiber.MethodPost &&
			bytes.HasPrefix(h.ContentType(), []byte(fiber.MIMEMultipartForm)) && s.uploadPath(string(u.Path()), cfg)
		if !ok {
			// The 417 closes the connection: fasthttp would otherwise serve none of the
			// requests that follow on it (each answered an empty 200, the handler never
			// called), and a client that sends the body anyway would have it read as requests.
			h.SetConnectionClose()
		}
		return ok
	}
}

// limitBody holds every body but an upload's to smallBodyLimit and reads it whole, so
// handlers see the form as usual.
func (s *Server) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	if s.isUpload(c) {
		// What is left of a body the upload did not read (a refused one) stays on the
		// connection, which therefore cannot carry another request.
		c.Context().SetConnectionClose()
		return c.Next()
	}
	if req.Header.ContentLength() > smallBodyLimit {
		return tooLarge(c)
	}
	if r := req.BodyStream(); r != nil {
		b, err := io.ReadAll(io.LimitReader(r, smallBodyLimit+1))
		if err != nil {
			return fiber.NewError(http.StatusBadRequest, "The request's body could not be read.")
		}
		if len(b) > smallBodyLimit {
			return tooLarge(c)
		}
		req.SetBody(b)
	}
	return c.Next()
}

// uploadForm is an upload's multipart body, read part by part: the fields before the file,
// then the file itself, unread, for the handler.
type uploadForm struct {
	fields map[string][]string
	file   *multipart.Part // nil when the form has no file
	err    error
}

// Limits on an upload's fields: they are short (the CSRF token), and never more than a small
// body in all.
const (
	uploadFieldLimit = 64 << 10
	uploadFieldCount = 32
)

var errUploadFields = errors.New("an upload's form fields are too large")

// streamedForm reads an upload's fields up to its first file, once; the file stays unread.
func (s *Server) streamedForm(c *fiber.Ctx) *uploadForm {
	st := stateOf(c)
	if st.upload != nil {
		return st.upload
	}
	f := &uploadForm{fields: map[string][]string{}}
	st.upload = f
	_, params, err := mime.ParseMediaType(string(c.Request().Header.ContentType()))
	body := c.Request().BodyStream()
	if err != nil || params["boundary"] == "" || body == nil {
		f.err = outlay.ValidationErrors{"file": "Choose a file to attach."}
		return f
	}
	mr := multipart.NewReader(body, params["boundary"])
	total := 0
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return f
		}
		if err != nil {
			f.err = err
			return f
		}
		if part.FileName() != "" {
			f.file = part
			return f
		}
		v, err := io.ReadAll(io.LimitReader(part, uploadFieldLimit+1))
		total += len(v)
		if err != nil || len(v) > uploadFieldLimit || total > smallBodyLimit || i >= uploadFieldCount {
			f.err = errUploadFields
			return f
		}
		f.fields[part.FormName()] = append(f.fields[part.FormName()], string(v))
	}
}

// uploadedFile is the upload's file part, for the handler to stream; it fails when the form
// has none.
func (s *Server) uploadedFile(c *fiber.Ctx, field string) (*multipart.Part, error) {
	f := s.streamedForm(c)
	if errors.Is(f.err, errUploadFields) {
		return nil, tooLarge(c)
	}
	if f.file == nil || f.file.FormName() != field {
		return nil, outlay.ValidationErrors{field: "Choose a file to attach."}
	}
	return f.file, nil
}

// multipartFields are a multipart form's fields: an upload's, read up to its file, or any
// other form's, read whole (it is small).
func (s *Server) multipartFields(c *fiber.Ctx) map[string][]string {
	if s.isUpload(c) {
		return s.streamedForm(c).fields
	}
	if form, err := c.MultipartForm(); err == nil {
		return form.Value
	}
	return nil
}

func isMultipart(c *fiber.Ctx) bool {
	return strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm)
}
