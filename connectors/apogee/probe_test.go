package apogee

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
)

// TestProbe_EnvelopesValidateAgainstTheXSDs: doctor's probes are built by the real
// calls' request builders and validate with xmllint against AMUE's schemas, like every
// other request; Apogée's "no data" answer means the service is up.
func TestProbe_EnvelopesValidateAgainstTheXSDs(t *testing.T) {
	for _, tc := range []struct{ service, ns, wsdl, op string }{
		{ServiceOffreFormation, offreformation.Namespace, "OffreFormationMetier.wsdl", "recupererSE_v3"},
		{ServiceEtudiant, etudiant.Namespace, "EtudiantMetier.wsdl", "recupererIdentifiantsEtudiant"},
		{ServicePedagogique, pedagogique.Namespace, "PedagogiqueMetier.wsdl", "recupererContratPedagogiqueResultatVdiVet_v2"},
		{ServiceReferentiel, referentiel.Namespace, "ReferentielMetier_21062012.wsdl", "recupererSignataire"},
	} {
		t.Run(tc.service, func(t *testing.T) {
			f := newFakeApogee(t, 500, apogeeFault(tc.ns, "technical", "data", "nullretrieve", "x", "aucune donnée"))
			if err := newTestWS(t, f.srv.URL).Probe(context.Background(), tc.service); err != nil {
				t.Fatalf("a no-data answer must mean the service is up: %v", err)
			}
			c := f.last(t)
			checkHeaders(t, c, "/services/"+tc.service)
			mustContain(t, c.Body, "<apo:"+tc.op+` xmlns:apo="`+tc.ns+`">`)
			validateRequest(t, tc.wsdl, c.Body)
		})
	}
}

// TestProbe_AxisFaultSaysNothingAboutTheNamespace: a fault of Axis itself carries only
// {http://xml.apache.org/axis/}hostname in its detail; it is not the service namespace.
func TestProbe_AxisFaultSaysNothingAboutTheNamespace(t *testing.T) {
	f := newFakeApogee(t, 500, envelope(etudiant.Namespace, `<soapenv:Fault><faultcode>soapenv:Client</faultcode>`+
		`<faultstring>No such operation 'recupererIdentifiantsEtudiant'</faultstring><detail>`+
		`<ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">apogee</ns1:hostname></detail></soapenv:Fault>`))
	err := newTestWS(t, f.srv.URL).Probe(context.Background(), ServiceEtudiant)
	var nse *NamespaceError
	if errors.As(err, &nse) || !errors.Is(err, ErrUnknownOperation) {
		t.Fatalf("err = %v, want ErrUnknownOperation and no namespace advice", err)
	}
	if strings.Contains(err.Error(), "xml.apache.org") {
		t.Errorf("message suggests Axis' namespace: %v", err)
	}
	// An Apogée exception in another namespace does tell the namespace to configure.
	f = newFakeApogee(t, 500, apogeeFault("gouv.education.apogee.commun.servicesmetiers.EtudiantMetier_2024", "technical", "data", "nullretrieve", "etudiant", "x"))
	err = newTestWS(t, f.srv.URL).Probe(context.Background(), ServiceEtudiant)
	if !errors.As(err, &nse) || nse.Got != "gouv.education.apogee.commun.servicesmetiers.EtudiantMetier_2024" {
		t.Fatalf("err = %v, want a NamespaceError naming the answered namespace", err)
	}
}
