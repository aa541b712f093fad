package ui

import (
	"mime"
	"net/http"
	"path"

	"github.com/tocsinhq/tocsin/internal/auth"
)

// asset is a file the pages load, named in them with its version
// (/ui/app.css?v=<hash of the body>) so that browsers may keep it for a
// year and still load a new one after an upgrade.
type asset struct {
	body    []byte
	version string
}

func (u *UI) assetRoutes() []auth.Route {
	return []auth.Route{{Pattern: "GET /ui/{file}", Role: auth.Public, Handler: http.HandlerFunc(u.serveAsset)}}
}

// serveAsset serves an embedded CSS, JavaScript or image file: public, as
// it holds no data.
func (u *UI) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := u.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(r.PathValue("file"))))
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	etag := `"` + a.version + `"`
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.body)
}

// assetURL is the versioned URL of an asset, for the templates.
func (u *UI) assetURL(name string) string {
	return "/ui/" + name + "?v=" + u.assets[name].version
}
