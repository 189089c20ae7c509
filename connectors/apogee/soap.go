package apogee

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
	"hypercerts/connectors/apogee/ws/xsd"
	"hypercerts/domain"
)

// Service names, the keys of WSConfig.Services.
const (
	ServiceOffreFormation = offreformation.Service
	ServiceEtudiant       = etudiant.Service
	ServicePedagogique    = pedagogique.Service
	ServiceReferentiel    = referentiel.Service
)

// ServiceConfig locates one Apogée web service: endpoint = BaseURL + Path; Namespace is
// the namespace of its body wrapper elements (it changes between Apogée releases).
type ServiceConfig struct {
	Path      string
	Namespace string
}

// WSConfig configures the SOAP half of the Apogée connector.
type WSConfig struct {
	// BaseURL is the web application, e.g. https://apogee.example.fr/apo-commun-servicesMetiers.
	BaseURL string
	// Timeout bounds each call (default 30s).
	Timeout time.Duration
	// Services overrides DefaultServices() per service; missing entries or fields keep
	// the defaults.
	Services map[string]ServiceConfig
	// MaxResponseBytes bounds a response body (default 8 MiB, far above any real
	// answer); a larger one is an error, never read whole into memory.
	MaxResponseBytes int64
	// HTTPClient, if set, is used as is (TLS settings, proxies); otherwise a client
	// keeping enough idle connections for the engine's concurrency.
	HTTPClient *http.Client
}

// DefaultServices are the paths and namespaces of Apogée 6.40.30, from the WSDLs.
func DefaultServices() map[string]ServiceConfig {
	return map[string]ServiceConfig{
		ServiceOffreFormation: {offreformation.DefaultPath, offreformation.Namespace},
		ServiceEtudiant:       {etudiant.DefaultPath, etudiant.Namespace},
		ServicePedagogique:    {pedagogique.DefaultPath, pedagogique.Namespace},
		ServiceReferentiel:    {referentiel.DefaultPath, referentiel.Namespace},
	}
}

// defaultWSTimeout bounds a call when WSConfig.Timeout is zero.
const defaultWSTimeout = 30 * time.Second

// WS calls the Apogée SOAP web services. It is safe for concurrent use.
type WS struct {
	base     string
	timeout  time.Duration
	services map[string]ServiceConfig
	client   *http.Client
	maxBody  int64
}

// NewWS checks the configuration and builds the client.
func NewWS(cfg WSConfig) (*WS, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("apogee: URL des web services %q invalide : attendu http(s)://hôte/contexte", redactURL(base))
	}
	services := DefaultServices()
	for name, sc := range cfg.Services {
		d, ok := services[name]
		if !ok {
			return nil, fmt.Errorf("apogee: service %q inconnu (attendus : %s, %s, %s, %s)", name,
				ServiceOffreFormation, ServiceEtudiant, ServicePedagogique, ServiceReferentiel)
		}
		if sc.Path != "" {
			if !strings.HasPrefix(sc.Path, "/") {
				sc.Path = "/" + sc.Path
			}
			d.Path = sc.Path
		}
		if sc.Namespace != "" {
			d.Namespace = sc.Namespace
		}
		services[name] = d
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultWSTimeout
	}
	client := cfg.HTTPClient
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		client = &http.Client{Transport: tr}
	}
	maxBody := cfg.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = defaultMaxResponse
	}
	return &WS{base: base, timeout: timeout, services: services, client: client, maxBody: maxBody}, nil
}

// Endpoint is the URL a service is called at (for messages and logs; no credentials).
func (w *WS) Endpoint(service string) string {
	return redactURL(w.base + w.services[service].Path)
}

// The requests, one builder per operation: the real calls and doctor's probes (Probe)
// send the same generated types.

func seRequest(year string, vdi domain.VDI) *offreformation.RecupererSE_v3 {
	return &offreformation.RecupererSE_v3{SeCritere: &offreformation.SECritereDTO2{
		CodAnu:    xsd.Of(year),
		CodDip:    xsd.Of(vdi.Dip),
		CodVrsVdi: xsd.Of(vdi.Version),
		CodEtp:    xsd.Of("tous"),
		CodVrsVet: xsd.Of("tous"),
		CodElp:    xsd.Of("aucun"),
		// codComposanteVdi, codNatureDip, codNatureElp, codTypDip and
		// temOuvertRecrutement stay nil: xsi:nil="true", "no filter".
	}}
}

func studentsRequest(year string, vdi domain.VDI, vet domain.VET) *etudiant.RecupererListeEtudiants {
	dipVersion, vetVersion := vdi.Version, vet.Version
	return &etudiant.RecupererListeEtudiants{Parametres: &etudiant.EtudiantCritereDTO{
		Annee: xsd.Of(year),
		ListDiplomes: xsd.Of(etudiant.TableauDiplomes{Item: []*etudiant.EtudiantCritereListeDTO{
			{Code: xsd.Of(vdi.Dip), ListVersion: []*string{&dipVersion}},
		}}),
		ListEtapes: xsd.Of(etudiant.TableauEtapes{Item: []*etudiant.EtudiantCritereListeDTO{
			{Code: xsd.Of(vet.Etape), ListVersion: []*string{&vetVersion}},
		}}),
	}}
}

func identityRequest(studentCode string) *etudiant.RecupererIdentifiantsEtudiant {
	return &etudiant.RecupererIdentifiantsEtudiant{CodEtu: studentCode, TemoinRecupAnnu: "O"}
}

func contractRequest(studentCode, year string) *pedagogique.RecupererContratPedagogiqueResultatVdiVet_v2 {
	return &pedagogique.RecupererContratPedagogiqueResultatVdiVet_v2{
		CodEtu:    studentCode,
		CodAnu:    year,
		SourceRes: "Apogee",
		EtatDelib: "T",
		// Every session, every result type (R10 "null"): the wildcards public Apogée
		// clients send (esup-ecandidat: "toutes", "tous"). An empty string may be read
		// as a filter matching nothing, turning every verdict into "no result".
		CodSes:    "toutes",
		TypeRes:   "tous",
		CodEtaIae: "E",
	}
}

func signerRequest(code string) *referentiel.RecupererSignataire {
	return &referentiel.RecupererSignataire{CodSig: code, TemoinEnService: "O"}
}

// VETs calls OffreFormationMetier.recupererSE_v3 (R05) and returns every stage version
// of the VDI for that year, in Apogée's order. Graduating is left false: the SQL side
// knows VERSION_ETAPE.tem_dip_vet. No data gives an empty list.
func (w *WS) VETs(ctx context.Context, year string, vdi domain.VDI) ([]domain.VET, error) {
	var resp offreformation.RecupererSE_v3Response
	if err := w.call(ctx, ServiceOffreFormation, seRequest(year, vdi), &resp); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	var out []domain.VET
	seen := map[string]bool{}
	for _, dip := range resp.RecupererSE_v3Return {
		if dip == nil || (dip.CodDip != nil && !strings.EqualFold(str(dip.CodDip), vdi.Dip)) {
			continue
		}
		if dip.ListVersionDiplome == nil {
			continue
		}
		for _, v := range dip.ListVersionDiplome.Item {
			if v == nil || (v.CodVrsVdi != nil && strconv.Itoa(int(*v.CodVrsVdi)) != vdi.Version) {
				continue
			}
			if v.OffreFormation == nil || v.OffreFormation.ListEtape == nil {
				continue
			}
			for _, etp := range v.OffreFormation.ListEtape.Item {
				if etp == nil || etp.ListVersionEtape == nil {
					continue
				}
				for _, vet := range etp.ListVersionEtape.Item {
					if vet == nil || vet.CodVrsVet == nil {
						continue
					}
					x := domain.VET{Etape: str(etp.CodEtp), Version: strconv.Itoa(int(*vet.CodVrsVet)),
						Label: firstNonEmpty(str(vet.LibWebVet), str(etp.LibEtp), str(etp.LibCourtEtp))}
					if x.Etape == "" || seen[x.Key()] {
						continue
					}
					seen[x.Key()] = true
					out = append(out, x)
				}
			}
		}
	}
	return out, nil
}

// Students calls EtudiantMetier.recupererListeEtudiants for one VET (R06). No data
// gives an empty list.
func (w *WS) Students(ctx context.Context, year string, vdi domain.VDI, vet domain.VET) ([]domain.StudentRef, error) {
	var resp studentsResponse
	if err := w.call(ctx, ServiceEtudiant, studentsRequest(year, vdi, vet), &resp); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return resp.refs, nil
}

// studentsResponse decodes recupererListeEtudiantsResponse one <etudiant> at a time
// into StudentRefs (duplicates and students without a code left out): a VET's whole
// list is never held as DTOs, which keeps the memory of a large answer low.
type studentsResponse struct {
	refs []domain.StudentRef
}

func (r *studentsResponse) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "etudiant" {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var e etudiant.EtudiantDTO2
			if err := d.DecodeElement(&e, &t); err != nil {
				return err
			}
			code := strings.TrimSpace(str(e.CodEtu))
			if code == "" || seen[code] {
				continue
			}
			seen[code] = true
			r.refs = append(r.refs, domain.StudentRef{Code: code, LastName: str(e.Nom), FirstName: str(e.Prenom)})
		}
	}
}

// Identity calls EtudiantMetier.recupererIdentifiantsEtudiant (R08), asking for the
// directory e-mail. An unknown student is ErrNotFound.
func (w *WS) Identity(ctx context.Context, studentCode string) (domain.Identity, error) {
	req := identityRequest(studentCode)
	var resp etudiant.RecupererIdentifiantsEtudiantResponse
	if err := w.call(ctx, ServiceEtudiant, req, &resp); err != nil {
		return domain.Identity{}, err
	}
	r := resp.RecupererIdentifiantsEtudiantReturn
	if r == nil {
		return domain.Identity{}, w.notFound(ServiceEtudiant, req.OperationName(), "aucun étudiant "+studentCode)
	}
	id := domain.Identity{Code: studentCode, INE: strings.TrimSpace(str(r.NumeroINE)) + strings.TrimSpace(str(r.CleINE)),
		Email: strings.TrimSpace(str(r.EmailAnnuaire))}
	if r.CodEtu != nil && *r.CodEtu != 0 {
		id.Code = strconv.Itoa(int(*r.CodEtu))
	}
	if r.CodInd != nil && *r.CodInd != 0 {
		id.IndividualCode = strconv.Itoa(int(*r.CodInd))
	}
	return id, nil
}

// AdminInfo calls EtudiantMetier.recupererInfosAdmEtu_v4 (R08, R15): civil status and
// blockings. An unknown student is ErrNotFound.
func (w *WS) AdminInfo(ctx context.Context, studentCode string) (domain.AdminInfo, error) {
	req := &etudiant.RecupererInfosAdmEtu_v4{CodEtu: studentCode}
	var resp etudiant.RecupererInfosAdmEtu_v4Response
	if err := w.call(ctx, ServiceEtudiant, req, &resp); err != nil {
		return domain.AdminInfo{}, err
	}
	r := resp.RecupererInfosAdmEtu_v4Return
	if r == nil {
		return domain.AdminInfo{}, w.notFound(ServiceEtudiant, req.OperationName(), "aucun étudiant "+studentCode)
	}
	info := domain.AdminInfo{
		LastName:   firstNonEmpty(str(r.NomPatronymique), str(r.NomUsuel)),
		FirstName1: strings.TrimSpace(str(r.Prenom1)),
		FirstName2: strings.TrimSpace(str(r.Prenom2)),
		BirthPlace: strings.TrimSpace(str(r.LibVilleNaissance)),
		Sex:        strings.ToUpper(strings.TrimSpace(str(r.Sexe))),
	}
	if info.BirthPlace == "" && r.PaysNaissance != nil {
		info.BirthPlace = strings.TrimSpace(str(r.PaysNaissance.LibPay))
	}
	if r.DateNaissance != nil {
		t, err := ParisDay(string(*r.DateNaissance))
		if err != nil {
			return domain.AdminInfo{}, w.permanent(ServiceEtudiant, req.OperationName(),
				fmt.Sprintf("date de naissance illisible pour l'étudiant %s : %v", studentCode, err), nil)
		}
		info.BirthDate = t
	}
	if r.ListeBlocages != nil {
		for _, b := range r.ListeBlocages.Item {
			if b == nil {
				continue
			}
			bl := domain.Blocking{Code: str(b.CodBlocage), Label: str(b.LibBlocage)}
			if b.TypBlocage != nil {
				bl.TypeCode, bl.TypeLabel = str(b.TypBlocage.CodTypBlocage), str(b.TypBlocage.LibTypBlocage)
			}
			info.Blockings = append(info.Blockings, bl)
		}
	}
	return info, nil
}

// Contract calls PedagogiqueMetier.recupererContratPedagogiqueResultatVdiVet_v2 (R10)
// and keeps the contract of that diploma and VDI, with its VDI-level results. nil when
// the student has none.
func (w *WS) Contract(ctx context.Context, studentCode, year string, vdi domain.VDI) (*domain.Contract, error) {
	req := contractRequest(studentCode, year)
	var resp pedagogique.RecupererContratPedagogiqueResultatVdiVet_v2Response
	if err := w.call(ctx, ServicePedagogique, req, &resp); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	for _, c := range resp.RecupererContratPedagogiqueResultatVdiVet_v2Return {
		if c == nil || c.Diplome == nil || !strings.EqualFold(str(c.Diplome.CodDip), vdi.Dip) {
			continue
		}
		if c.Diplome.CodVrsVdi == nil {
			// Dropping it would turn the student's contract into "no contract".
			return nil, w.permanent(ServicePedagogique, req.OperationName(),
				fmt.Sprintf("contrat pédagogique de l'étudiant %s pour le diplôme %s sans version (codVrsVdi nul) : "+
					"impossible de savoir s'il s'agit de la VDI %s ; vérifier ce contrat dans Apogée", studentCode, vdi.Dip, vdi.Key()), nil)
		}
		if strconv.Itoa(int(*c.Diplome.CodVrsVdi)) != vdi.Version {
			continue
		}
		out := &domain.Contract{Year: firstNonEmpty(str(c.Annee), year), VDI: vdi}
		if l := str(c.Diplome.LibWebVdi); l != "" {
			out.VDI.Label = l
		}
		if c.ResultatVdi != nil {
			for _, r := range c.ResultatVdi.Item {
				if r == nil {
					continue
				}
				sr, err := sessionResult(r)
				if err != nil {
					return nil, w.permanent(ServicePedagogique, req.OperationName(),
						fmt.Sprintf("résultat illisible pour l'étudiant %s : %v", studentCode, err), nil)
				}
				out.Results = append(out.Results, sr)
			}
		}
		return out, nil
	}
	return nil, nil
}

func sessionResult(r *pedagogique.ResultatVdiDTO) (domain.SessionResult, error) {
	var sr domain.SessionResult
	if r.Session != nil && strings.TrimSpace(str(r.Session.CodSes)) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(str(r.Session.CodSes)))
		if err != nil {
			return sr, fmt.Errorf("session %q", str(r.Session.CodSes))
		}
		sr.Session = n
	}
	if r.TypResultat != nil {
		sr.ResultCode = strings.TrimSpace(str(r.TypResultat.CodTre))
		switch strings.TrimSpace(str(r.TypResultat.CodNegTre)) {
		case "1":
			t := true
			sr.Favourable = &t
		case "0":
			f := false
			sr.Favourable = &f
		}
	}
	if r.NatureResultat != nil {
		sr.Admission = strings.TrimSpace(str(r.NatureResultat.CodAdm)) == "1"
	}
	if r.Mention != nil {
		sr.Mention = domain.Mention{Code: strings.TrimSpace(str(r.Mention.CodMen)), Label: strings.TrimSpace(str(r.Mention.LibMen))}
	}
	if r.NbrCrdVdi != nil {
		sr.ECTS = strconv.FormatFloat(*r.NbrCrdVdi, 'f', -1, 64)
	}
	return sr, nil
}

// Signer calls ReferentielMetier.recupererSignataire for the configured signer code
// (R16): name and title. The image is only in the database. Unknown code: ErrNotFound.
func (w *WS) Signer(ctx context.Context, code string) (name, title string, err error) {
	req := signerRequest(code)
	var resp referentiel.RecupererSignataireResponse
	if err := w.call(ctx, ServiceReferentiel, req, &resp); err != nil {
		return "", "", err
	}
	for _, s := range resp.RecupererSignataireReturn {
		if s != nil && (s.CodSig == nil || strings.EqualFold(strings.TrimSpace(*s.CodSig), code)) {
			return strings.TrimSpace(str(s.NomSig)), strings.TrimSpace(str(s.QuaSig)), nil
		}
	}
	return "", "", w.notFound(ServiceReferentiel, req.OperationName(), "aucun signataire "+code)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}

// redactURL hides a password written in a URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}
