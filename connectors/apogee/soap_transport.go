package apogee

import (
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

// soapEnvelope writes the request: a prefixed wrapper element in the service namespace
// and unprefixed (unqualified) children, as elementFormDefault="unqualified" requires.
func soapEnvelope(namespace string, req soapRequest) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="` + nsSOAPEnv + `"><soapenv:Body>`)
	enc := xml.NewEncoder(&b)
	start := xml.StartElement{
		Name: xml.Name{Local: "apo:" + req.OperationName()},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns:apo"}, Value: namespace}},
	}
	if err := enc.EncodeElement(req, start); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	b.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	return b.Bytes(), nil
}

// call sends one request to a service and decodes the response wrapper into resp.
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
	data, err := io.ReadAll(io.LimitReader(hresp.Body, maxSOAPResponse+1))
	if err != nil {
		return w.unreachable(ctx, service, op, shown, err)
	}
	if len(data) > maxSOAPResponse {
		return w.permanent(service, op, fmt.Sprintf("réponse de %s trop grande (plus de %d Mo)", shown, maxSOAPResponse>>20), nil)
	}

	dec := xml.NewDecoder(bytes.NewReader(data))
	first, perr := soapBodyElement(dec)
	if perr == nil && first.Name.Space == nsSOAPEnv && first.Name.Local == "Fault" {
		var f soapFault
		if err := dec.DecodeElement(&f, &first); err != nil {
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
		return w.permanent(service, op, fmt.Sprintf("réponse illisible de %s : %v", shown, perr), nil)
	}
	if err := dec.DecodeElement(resp, &first); err != nil {
		return w.permanent(service, op, fmt.Sprintf("réponse inattendue de %s (élément <%s>) : %v", shown, first.Name.Local, err), nil)
	}
	return nil
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

// soapFault is a SOAP 1.1 fault; Apogée puts a WebBaseException in its detail.
type soapFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"detail"`
}

// webBaseException finds Apogée's exception in the fault detail: element "fault" (of
// type WebBaseException, exception.transverse.commun.apogee.education.gouv), whatever
// its namespace (Axis also adds its own elements, such as hostname).
func (f soapFault) webBaseException() *etudiant.WebBaseException {
	if len(f.Detail.Inner) == 0 {
		return nil
	}
	dec := xml.NewDecoder(bytes.NewReader(f.Detail.Inner))
	for i := 0; i < 1000; i++ {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "fault" || se.Name.Local == "WebBaseException" {
			var e etudiant.WebBaseException
			if dec.DecodeElement(&e, &se) != nil {
				return nil
			}
			return &e
		}
		if err := dec.Skip(); err != nil {
			return nil
		}
	}
	return nil
}

// faultError classifies a fault. Apogée's codes read domaine.type.nature.element, e.g.
// "technical.data.nullretrieve.etudiant" (no data), "technical.data.transaction.connexion"
// (Apogée cannot reach its database), "technical.parameter.noncoherentinput.codEtu".
func (w *WS) faultError(service, op string, f soapFault) error {
	wbe := f.webBaseException()
	var texts []string
	code := strings.TrimSpace(f.String)
	msg := ""
	if wbe != nil {
		parts := []string{}
		for _, p := range []*string{wbe.Domaine, wbe.Type_, wbe.Nature, wbe.Element} {
			if s := strings.TrimSpace(str(p)); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 1 {
			code = strings.Join(parts, ".")
		}
		texts = append(texts, parts...)
		msg = strings.TrimSpace(str(wbe.LastErrorMsg))
		if wbe.Messages != nil {
			var items []string
			for _, it := range wbe.Messages.Item {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			if msg == "" {
				msg = strings.Join(items, " ; ")
			}
			texts = append(texts, items...)
		}
		texts = append(texts, msg)
	}
	texts = append(texts, f.String, code)
	all := strings.ToLower(strings.Join(texts, " "))

	full := code
	if msg != "" && msg != code {
		if full != "" {
			full += " : "
		}
		full += msg
	}
	if full == "" {
		full = "fault SOAP " + strings.TrimSpace(f.Code) + " sans message"
	}
	kind := domain.ErrPermanent
	switch {
	case strings.Contains(all, "nullretrieve"):
		kind = domain.ErrNotFound
	case strings.Contains(all, "technical.data.transaction") ||
		(strings.Contains(all, "transaction") && strings.Contains(all, "connexion")):
		kind = domain.ErrTransient
	}
	return &domain.ExternalError{System: "Apogée", Op: op, Kind: kind, Msg: full}
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
