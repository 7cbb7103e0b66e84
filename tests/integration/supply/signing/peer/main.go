// A Go peer for goship's signing tests: it does what cosign does with Go's standard library
// (encoding/json for the payload, crypto/x509 and crypto/ecdsa for keys and signatures), so
// the tests compare goship's bytes and signatures with Go's own, not with a Python guess.
//
//	peer payload < cases.json      one payload per case, base64, one per line
//	peer verify PUB.pem PAYLOAD SIG.b64
//	peer pkcs8 KEY.der             the key type x509.ParsePKCS8PrivateKey finds
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
)

type identity struct {
	DockerReference string `json:"docker-reference"`
}

type image struct {
	DockerManifestDigest string `json:"docker-manifest-digest"`
}

type critical struct {
	Identity identity `json:"identity"`
	Image    image    `json:"image"`
	Type     string   `json:"type"`
}

type simpleSigning struct {
	Critical critical               `json:"critical"`
	Optional map[string]interface{} `json:"optional"`
}

type payloadCase struct {
	Reference   string          `json:"reference"`
	Digest      string          `json:"digest"`
	Annotations json.RawMessage `json:"annotations"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func payloads() {
	var cases []payloadCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fail("reading cases: %v", err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, c := range cases {
		var annotations map[string]interface{}
		if err := json.Unmarshal(c.Annotations, &annotations); err != nil {
			fail("annotations %s: %v", c.Annotations, err)
		}
		document := simpleSigning{
			Critical: critical{identity{c.Reference}, image{c.Digest}, "cosign container image signature"},
			Optional: annotations,
		}
		encoded, err := json.Marshal(document)
		if err != nil {
			fail("marshal: %v", err)
		}
		fmt.Fprintln(out, base64.StdEncoding.EncodeToString(encoded))
	}
}

func verify(publicKeyFile, payloadFile, signatureFile string) {
	pemBytes, err := os.ReadFile(publicKeyFile)
	if err != nil {
		fail("%v", err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PUBLIC KEY" {
		fail("no PUBLIC KEY block in %s", publicKeyFile)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		fail("parsing the public key: %v", err)
	}
	ecKey, ok := key.(*ecdsa.PublicKey)
	if !ok {
		fail("not an ECDSA key: %T", key)
	}
	payload, err := os.ReadFile(payloadFile)
	if err != nil {
		fail("%v", err)
	}
	signatureText, err := os.ReadFile(signatureFile)
	if err != nil {
		fail("%v", err)
	}
	signature, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(signatureText)))
	if err != nil {
		fail("signature base64: %v", err)
	}
	digest := sha256.Sum256(payload)
	if !ecdsa.VerifyASN1(ecKey, digest[:], signature) {
		fmt.Println("invalid")
		os.Exit(2)
	}
	fmt.Println("valid")
}

func pkcs8(derFile string) {
	der, err := os.ReadFile(derFile)
	if err != nil {
		fail("%v", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		fail("%v", err)
	}
	if ecKey, ok := key.(*ecdsa.PrivateKey); ok {
		fmt.Println("ecdsa", ecKey.Curve.Params().Name)
		return
	}
	fmt.Printf("%T\n", key)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: peer payload|verify|pkcs8 ...")
	}
	switch os.Args[1] {
	case "payload":
		payloads()
	case "verify":
		verify(os.Args[2], os.Args[3], os.Args[4])
	case "pkcs8":
		pkcs8(os.Args[2])
	default:
		fail("unknown mode %s", os.Args[1])
	}
}
