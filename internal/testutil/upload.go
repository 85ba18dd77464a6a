package testutil

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
)

// Upload posts a multipart form to path with one file under field, declared with
// contentType (which the server must ignore), and the current CSRF token.
func (c *Client) Upload(path, field, filename, contentType string, body []byte) *Response {
	c.t.Helper()
	return c.UploadWith(path, nil, field, filename, contentType, body)
}

// UploadWith is Upload with other form fields, sent before the file (as a browser sends the
// fields that come before the file input).
func (c *Client) UploadWith(path string, fields url.Values, field, filename, contentType string, body []byte) *Response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", c.CSRF)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, field, filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		c.t.Fatal(err)
	}
	part.Write(body)
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}
