package apogee

import (
	"context"
	"errors"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
	"hypercerts/domain"
)

// Services lists the four services in the order doctor probes them.
var Services = []string{ServiceOffreFormation, ServiceEtudiant, ServicePedagogique, ServiceReferentiel}

// probeCode matches no student, diploma or signer: a probe asks for nothing real.
const probeCode = "0"

// Probe calls one cheap operation of a service, built by the same request builders as
// the real calls (so validated by the same schema tests), for a code that does not
// exist. nil: the service answered, with data or with Apogée's "no data" fault, and in
// the configured namespace. Otherwise the error says what is wrong: *NamespaceError
// (answer or fault in another namespace: the setting to change), ErrUnknownOperation
// (wrong path or namespace), transport errors as for any call.
func (w *WS) Probe(ctx context.Context, service string) error {
	var err error
	dummy := domain.VDI{Dip: "DOCTOR", Version: probeCode}
	switch service {
	case ServiceOffreFormation:
		err = w.call(ctx, service, seRequest("1900", dummy), &offreformation.RecupererSE_v3Response{})
	case ServiceEtudiant:
		err = w.call(ctx, service, identityRequest(probeCode), &etudiant.RecupererIdentifiantsEtudiantResponse{})
	case ServicePedagogique:
		err = w.call(ctx, service, contractRequest(probeCode, "1900"), &pedagogique.RecupererContratPedagogiqueResultatVdiVet_v2Response{})
	case ServiceReferentiel:
		err = w.call(ctx, service, signerRequest("DOCTOR"), &referentiel.RecupererSignataireResponse{})
	default:
		return w.permanent(service, "", "service inconnu", nil)
	}
	var fe *FaultError
	if errors.As(err, &fe) && fe.Namespace != "" && fe.Namespace != w.services[service].Namespace {
		// Apogée's exception element is in the service namespace (WSDL: intf:fault).
		return &NamespaceError{Service: service, Got: fe.Namespace, Want: w.services[service].Namespace}
	}
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	return err
}
