// Package ws holds the generated Go types of the Apogée SOAP services hypercerts calls,
// one package per service (offreformation, etudiant, pedagogique, referentiel), and the
// generator that makes them. Never edit the generated files: change the generator
// (internal/wsdlgen) and run `go generate ./connectors/apogee/ws/...`. See
// docs/apogee-ws.md.
package ws

//go:generate go run ./internal/wsdlgen -wsdl ../shared/apogee/wsdl/apo-webservices-client-64030/wsdl -out .
