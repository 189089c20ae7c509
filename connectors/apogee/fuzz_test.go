package apogee

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzSOAPResponseDecoder: whatever Apogée (or a proxy in front of it) answers, the
// response decoder and the fault reader end with an error or a result, never a panic,
// and never read past the size limit.
func FuzzSOAPResponseDecoder(f *testing.F) {
	const env = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>`
	for _, seed := range []struct{ body, ct string }{
		{env + `<ns1:recupererSE_v3Response xmlns:ns1="http://offreformation.ws.apogee.amue.fr"><recupererSE_v3Return><codEtp>L3MAT</codEtp></recupererSE_v3Return></ns1:recupererSE_v3Response></soapenv:Body></soapenv:Envelope>`, "text/xml; charset=utf-8"},
		{env + `<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><faultstring>technical.data.nullretrieve.etudiant</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`, "text/xml"},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><r>Zo` + "\xe9" + `</r></soapenv:Body></soapenv:Envelope>`, "text/xml; charset=ISO-8859-1"},
		{env + `<r xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></soapenv:Body></soapenv:Envelope>`, ""},
		{`<html><body>502 Bad Gateway</body></html>`, "text/html"},
		{"", "text/xml; charset=koi8-r"},
		{env, "text/xml; charset=inconnu"},
	} {
		f.Add(seed.body, seed.ct)
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		lr := &limitedReader{r: strings.NewReader(body), left: 1 << 16}
		dec, err := newResponseDecoder(lr, contentType)
		if err != nil {
			return
		}
		first, err := soapBodyElement(dec)
		if err != nil {
			return
		}
		if first.Name.Local == "Fault" {
			var fault soapFault
			_ = dec.DecodeElement(&fault, &first)
			return
		}
		for {
			if _, err := dec.Token(); err != nil {
				if !errors.Is(err, io.EOF) {
					var se *xml.SyntaxError
					_ = errors.As(err, &se)
				}
				return
			}
		}
	})
}
