// Command hello is the example service goship builds: a small HTTP server that reports
// the version it was built with and answers a health check.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"os/user"
	"runtime"
	"time"
)

// Set at build time by goship through -ldflags -X.
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	flag.Parse()
	if env := os.Getenv("HELLO_ADDR"); env != "" {
		*addr = env
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := "unknown"
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"message": "hello from goship",
			"version": version,
			"commit":  commit,
			"date":    date,
			"uid":     os.Getuid(),
			"user":    name,
			"go":      runtime.Version(),
			"os":      runtime.GOOS + "/" + runtime.GOARCH,
		})
	})

	server := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("hello %s listening on %s", version, *addr)
	log.Fatal(server.ListenAndServe())
}
