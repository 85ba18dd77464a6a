package sanitize

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"

	"github.com/xuri/excelize/v2"

	"outlay/storage"
)

// placeholderText is what every placeholder file says.
const placeholderText = "This file is a placeholder in a sanitized copy of the organisation's data."

// Placeholder returns a small file of the given content type that opens as that type (a PDF
// stays a valid PDF, a PNG a valid PNG) and holds nothing from the original. Types without a
// placeholder of their own get a plain-text one, and the type that goes with it.
func Placeholder(contentType string) (body []byte, actualType string, err error) {
	switch mediaType(contentType) {
	case "application/pdf":
		return storage.TextPDF(placeholderText), storage.TypePDF, nil
	case "image/png":
		var b bytes.Buffer
		err := png.Encode(&b, placeholderImage())
		return b.Bytes(), storage.TypePNG, err
	case "image/jpeg":
		var b bytes.Buffer
		err := jpeg.Encode(&b, placeholderImage(), nil)
		return b.Bytes(), storage.TypeJPEG, err
	case "image/gif":
		var b bytes.Buffer
		err := gif.Encode(&b, placeholderImage(), nil)
		return b.Bytes(), storage.TypeGIF, err
	case "image/webp":
		// A 1×1 lossless WebP; the standard library has no WebP encoder.
		b, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
		return b, storage.TypeWebP, err
	case "text/csv":
		return []byte("note\n" + placeholderText + "\n"), storage.TypeCSV, nil
	case storage.TypeXLSX:
		b, err := placeholderXLSX()
		return b, storage.TypeXLSX, err
	case storage.TypeDOCX:
		b, err := placeholderOffice("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
			"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
			`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`+placeholderText+`</w:t></w:r></w:p></w:body></w:document>`)
		return b, storage.TypeDOCX, err
	case storage.TypePPTX:
		b, err := placeholderOffice("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
			"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
			`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`)
		return b, storage.TypePPTX, err
	default:
		return []byte(placeholderText + "\n"), storage.TypeText, nil
	}
}

func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

func placeholderImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{0xcc, 0xcc, 0xcc, 0xff})
		}
	}
	return img
}

func placeholderXLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetCellValue("Sheet1", "A1", placeholderText); err != nil {
		return nil, err
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// placeholderOffice builds an Office Open XML package with one main part.
func placeholderOffice(part, partType, relType, body string) ([]byte, error) {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/` + part + `" ContentType="` + partType + `"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + relType + `" Target="` + part + `"/></Relationships>`},
		{part, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + body},
	}
	for _, f := range files {
		w, err := z.Create(f.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
