package apogee

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/domain"
)

// The SOAP 1.1 transport: gowsdl's client runtime writes children in the wrapper's
// namespace and sends SOAPAction '', so the generated packages keep only the types and
// this file writes and reads the envelopes.

const nsSOAPEnv = "http://schemas.xmlsoap.org/soap/envelope/"

// soapRequest is a generated request wrapper (see ws/*/ : OperationName, SOAPAction).
type soapRequest interface {
	OperationName() string
	SOAPAction() string
}

// envelopeWriter is a buffer with its encoder, pooled: xml.NewEncoder allocates a 4 KB
// bufio.Writer each time, for a request of a few hundred bytes (a launch makes three
// calls per student). An encoder is back to its initial state after a whole element.
type envelopeWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

var envelopeWriters = sync.Pool{New: func() any {
	w := &envelopeWriter{}
	w.enc = xml.NewEncoder(&w.buf)
	return w
}}

// soapEnvelope writes the request: a prefixed wrapper element in the service namespace
// and unprefixed (unqualified) children, as elementFormDefault="unqualified" requires.
func soapEnvelope(namespace string, req soapRequest) ([]byte, error) {
	w := envelopeWriters.Get().(*envelopeWriter)
	b := &w.buf
	b.Reset()
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="` + nsSOAPEnv + `"><soapenv:Body>`)
	start := xml.StartElement{
		Name: xml.Name{Local: "apo:" + req.OperationName()},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns:apo"}, Value: namespace}},
	}
	if err := w.enc.EncodeElement(req, start); err != nil {
		return nil, err // w is dropped: its encoder may be mid-element
	}
	if err := w.enc.Flush(); err != nil {
		return nil, err
	}
	b.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	// A copy: the HTTP transport may still read a request body after Do returns.
	out := bytes.Clone(b.Bytes())
	envelopeWriters.Put(w)
	return out, nil
}

// bodyReaders are the buffered readers responses are decoded through: xml.NewDecoder
// allocates a 4 KB one per response unless given an io.ByteReader.
var bodyReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// call sends one request to a service and decodes the response wrapper into resp. The
// body is decoded as a stream, bounded by the configured limit: a response is never
// held whole in memory.
func (w *WS) call(ctx context.Context, service string, req soapRequest, resp any) error {
	op := req.OperationName()
	sc, ok := w.services[service]
	if !ok {
		return w.permanent(service, op, "service non configuré", nil)
	}
	endpoint := w.base + sc.Path
	shown := redactURL(endpoint)
	body, err := soapEnvelope(sc.Namespace, req)
	if err != nil {
		return w.permanent(service, op, "requête impossible à écrire", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return w.permanent(service, op, "URL "+shown+" invalide", nil)
	}
	hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hreq.Header.Set("Accept", "text/xml")
	hreq.Header.Set("SOAPAction", strconv.Quote(req.SOAPAction()))
	hresp, err := w.client.Do(hreq)
	if err != nil {
		return w.unreachable(ctx, service, op, shown, err)
	}
	defer hresp.Body.Close()
	if hresp.ContentLength > w.maxBody {
		return w.tooLarge(service, op, shown)
	}
	lr := &limitedReader{r: hresp.Body, left: w.maxBody}
	br := bodyReaders.Get().(*bufio.Reader)
	br.Reset(lr)
	defer func() { br.Reset(nil); bodyReaders.Put(br) }() // decoded values are copies
	dec, err := newResponseDecoder(br, hresp.Header.Get("Content-Type"))
	if err != nil {
		return w.permanent(service, op, fmt.Sprintf("réponse de %s illisible : %v", shown, err), nil)
	}
	// readErr tells a body cut by the limit or by the network from malformed XML.
	readErr := func(err error) error {
		switch {
		case errors.Is(err, errBodyTooLarge):
			return w.tooLarge(service, op, shown)
		case lr.err != nil:
			return w.unreachable(ctx, service, op, shown, lr.err)
		case errors.Is(err, errEncoded):
			return w.permanent(service, op, fmt.Sprintf("réponse de %s au format rpc/encoded (%v) : "+
				"non prise en charge ; le service %s doit répondre en document/literal comme ses WSDL", shown, err, service), nil)
		}
		return nil
	}
	first, perr := soapBodyElement(dec)
	if perr == nil && first.Name.Space == nsSOAPEnv && first.Name.Local == "Fault" {
		var f soapFault
		if err := dec.DecodeElement(&f, &first); err != nil {
			if e := readErr(err); e != nil {
				return e
			}
			return w.permanent(service, op, fmt.Sprintf("fault SOAP illisible de %s : %v", shown, err), nil)
		}
		return w.faultError(service, op, f)
	}
	switch {
	case hresp.StatusCode >= 500:
		return &domain.ExternalError{System: "Apogée", Op: op, Kind: domain.ErrTransient,
			Msg: fmt.Sprintf("%s répond HTTP %d ; réessayer plus tard", shown, hresp.StatusCode)}
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		return w.permanent(service, op, fmt.Sprintf("%s répond HTTP %d ; vérifier l'URL et le chemin du service %s", shown, hresp.StatusCode, service), nil)
	case perr != nil:
		if e := readErr(perr); e != nil {
			return e
		}
		return w.permanent(service, op, fmt.Sprintf("réponse illisible de %s : %v", shown, perr), nil)
	}
	// The wrapper must be <op>Response in the service's namespace: anything else would
	// decode into empty fields (encoding/xml ignores what it does not know), a student
	// without data instead of an error.
	if first.Name.Local != op+"Response" {
		return w.permanent(service, op, fmt.Sprintf("réponse inattendue de %s : élément <%s> au lieu de <%sResponse> (service %s, opération %s)",
			shown, first.Name.Local, op, service, op), nil)
	}
	if first.Name.Space != sc.Namespace {
		return w.permanent(service, op, fmt.Sprintf("réponse de %s dans l'espace de noms %q au lieu de %q (service %s, opération %s) ; "+
			"vérifier l'espace de noms configuré pour %s (il change entre versions d'Apogée)",
			shown, first.Name.Space, sc.Namespace, service, op, service), &NamespaceError{Service: service, Got: first.Name.Space, Want: sc.Namespace})
	}
	if err := dec.DecodeElement(resp, &first); err != nil {
		if e := readErr(err); e != nil {
			return e
		}
		return w.permanent(service, op, fmt.Sprintf("réponse inattendue de %s (service %s, opération %s, élément <%s>) : %v",
			shown, service, op, first.Name.Local, err), nil)
	}
	return nil
}

func (w *WS) tooLarge(service, op, shown string) error {
	return w.permanent(service, op, fmt.Sprintf("réponse de %s trop grande (plus de %s, service %s, opération %s) ; "+
		"limite réglable (apogee.ws.max_response_bytes)", shown, sizeText(w.maxBody), service, op), nil)
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d Mio", n>>20)
	}
	return fmt.Sprintf("%d octets", n)
}

// soapBodyElement reads up to the first element inside soapenv:Body.
func soapBodyElement(dec *xml.Decoder) (xml.StartElement, error) {
	depth := 0
	inBody := false
	for i := 0; ; i++ {
		tok, err := dec.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("pas de corps SOAP (Envelope/Body)")
		}
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("XML mal formé : %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && !(t.Name.Space == nsSOAPEnv && t.Name.Local == "Envelope"):
				return xml.StartElement{}, fmt.Errorf("élément racine <%s> au lieu d'une enveloppe SOAP 1.1", t.Name.Local)
			case depth == 2 && t.Name.Space == nsSOAPEnv && t.Name.Local == "Body":
				inBody = true
			case depth == 2:
				if err := dec.Skip(); err != nil {
					return xml.StartElement{}, fmt.Errorf("XML mal formé : %v", err)
				}
				depth--
			case depth == 3 && inBody:
				return t, nil
			}
		case xml.EndElement:
			depth--
			if inBody && depth == 1 {
				return xml.StartElement{}, errors.New("corps SOAP vide")
			}
		}
	}
}

// soapFault is a SOAP 1.1 fault; Apogée puts a WebBaseException in its detail: element
// "fault" (of type WebBaseException, exception.transverse.commun.apogee.education.gouv),
// matched whatever its namespace; Axis' own detail elements (hostname) are ignored.
type soapFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Items []detailItem `xml:",any"`
	} `xml:"detail"`
}

// detailItem is one element of the fault detail, read as a WebBaseException (Axis'
// hostname simply leaves every field empty).
type detailItem struct {
	XMLName xml.Name
	etudiant.WebBaseException
}

func (f soapFault) exceptionItem() *detailItem {
	for i := range f.Detail.Items {
		if n := f.Detail.Items[i].XMLName.Local; n == "fault" || n == "WebBaseException" {
			return &f.Detail.Items[i]
		}
	}
	return nil
}

func (f soapFault) webBaseException() *etudiant.WebBaseException {
	if it := f.exceptionItem(); it != nil {
		return &it.WebBaseException
	}
	return nil
}

// FaultError is the cause of an error made from a SOAP fault.
type FaultError struct {
	Code string // Apogée's code (faultstring), e.g. technical.data.nullretrieve.etudiant
	// Namespace is the namespace of the WebBaseException element, "" when the fault
	// came from Axis itself (no such operation, invalid element…).
	Namespace string
}

func (e *FaultError) Error() string { return "fault " + e.Code }

// NamespaceError: the service answered in another namespace than the configured one.
type NamespaceError struct {
	Service, Got, Want string
}

func (e *NamespaceError) Error() string {
	return fmt.Sprintf("%s répond dans l'espace de noms %q, la configuration dit %q", e.Service, e.Got, e.Want)
}

// ErrUnknownOperation is Axis' "No such operation": the service at that path does not
// know the operation in that namespace.
var ErrUnknownOperation = errors.New("opération inconnue du service")

// faultCode is Apogée's code, e.g. "technical.data.nullretrieve.etudiant": the
// faultstring, which Axis fills with the exception's message and which public clients
// compare with those codes (esup-ecandidat: ex.getMessage().equals(
// "technical.data.nullretrieve.findIAA")). It is never rebuilt from the
// WebBaseException's fields, whose order does not spell the code.
func (f soapFault) faultCode() string {
	code := strings.TrimSpace(f.String)
	if wbe := f.webBaseException(); code == "" && wbe != nil {
		code = strings.TrimSpace(str(wbe.LastErrorMsg))
	}
	if i := strings.IndexAny(code, " \t\n"); i > 0 && strings.Count(code[:i], ".") >= 2 {
		code = code[:i] // "technical.data.transaction.connexion : detail"
	}
	return code
}

// faultError classifies a fault. Apogée's codes read like
// "technical.data.nullretrieve.etudiant" (no data), "technical.data.transaction.connexion"
// (Apogée cannot reach its database), "technical.parameter.noncoherentinput.codEtu".
// The message shown is the code, then the human text (lastErrorMsg or messages) when it
// says more.
func (w *WS) faultError(service, op string, f soapFault) error {
	code := f.faultCode()
	texts := []string{f.String, code}
	var extra []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || s == code || strings.TrimSpace(f.String) == s {
			return
		}
		for _, e := range extra {
			if e == s {
				return
			}
		}
		extra = append(extra, s)
	}
	if rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.String), code)); rest != "" {
		add(strings.TrimSpace(strings.TrimPrefix(rest, ":")))
	}
	if wbe := f.webBaseException(); wbe != nil {
		add(str(wbe.LastErrorMsg))
		if wbe.Messages != nil {
			for _, it := range wbe.Messages.Item {
				add(it)
			}
		}
		texts = append(texts, str(wbe.Domaine), str(wbe.Type_), str(wbe.Nature), str(wbe.Element))
	}
	texts = append(texts, extra...)
	all := strings.ToLower(strings.Join(texts, " "))

	full := code
	if len(extra) > 0 {
		if full != "" {
			full += " : "
		}
		full += strings.Join(extra, " ; ")
	}
	if full == "" {
		full = "fault SOAP " + strings.TrimSpace(f.Code) + " sans message"
	}
	full = fmt.Sprintf("%s (service %s, opération %s)", full, service, op)
	var cause error = &FaultError{Code: code}
	if it := f.exceptionItem(); it != nil {
		cause = &FaultError{Code: code, Namespace: it.XMLName.Space}
	}
	if strings.Contains(f.String, "No such operation") {
		full += " ; vérifier le chemin du service et son espace de noms (apogee.ws.services)"
		cause = errors.Join(cause, ErrUnknownOperation)
	}
	kind := domain.ErrPermanent
	switch {
	case strings.Contains(all, "nullretrieve"):
		kind = domain.ErrNotFound
	case strings.Contains(all, "technical.data.transaction") ||
		(strings.Contains(all, "transaction") && strings.Contains(all, "connexion")):
		kind = domain.ErrTransient
	}
	return &domain.ExternalError{System: "Apogée", Op: op, Kind: kind, Msg: full, Err: cause}
}

// unreachable maps a transport failure: the caller's cancellation stays visible
// (errors.Is(err, context.Canceled)); everything else is worth retrying.
func (w *WS) unreachable(ctx context.Context, service, op, shown string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL, possibly with credentials
	}
	msg := fmt.Sprintf("%s injoignable : %v ; vérifier que le serveur répond, puis réessayer", shown, err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg = fmt.Sprintf("%s ne répond pas (délai de %s dépassé) ; réessayer plus tard", shown, w.timeout)
	}
	return &domain.ExternalError{System: "Apogée", Op: op, Kind: domain.ErrTransient, Msg: msg, Err: err}
}

func (w *WS) permanent(service, op, msg string, err error) error {
	return &domain.ExternalError{System: "Apogée", Op: op, Kind: domain.ErrPermanent, Msg: msg, Err: err}
}

func (w *WS) notFound(service, op, msg string) error {
	return &domain.ExternalError{System: "Apogée", Op: op, Kind: domain.ErrNotFound, Msg: msg}
}
