package hubee

import "slices"

// The settings a démarche needs for hypercerts to answer on it. The hub checks an
// event against its démarche (SFD 2.5 « Modification d'un Case par un SI ou OSL »):
// RC006, an event carrying a message is refused unless messageToTransmitter is true,
// and every REFUSED, SI_INTG_ERROR and ATTACH_DEPOSIT event of hypercerts carries one;
// RC003/RC005, a file sent by a SI must be in siAttachmentFormatsEnabled (empty: a SI
// may send no file at all), and the answer is a PDF.

// PDFMimeType is the type of the attestation answered.
const PDFMimeType = "application/pdf"

// MissingPrerequisites lists, in French, what a démarche's settings lack for
// hypercerts: answers (attestation requests: the PDF) or only messages (other
// démarches get SI_INTG_ERROR events with a message). Empty: nothing missing.
func MissingPrerequisites(p Process, answers bool, pdfSize int64) []string {
	var out []string
	if !p.MessageToTransmitter {
		out = append(out, "l'envoi de messages à l'OSL (messageToTransmitter : true), sans quoi HubEE refuse les refus motivés, "+
			"les erreurs d'intégration et les dépôts, qui portent tous un message")
	}
	if answers && !slices.Contains(p.SIAttachmentFormatsEnabled, PDFMimeType) {
		out = append(out, "le format application/pdf parmi les pièces jointes du SI (siAttachmentFormatsEnabled), sans quoi "+
			"HubEE refuse le dépôt de l'attestation")
	}
	if answers && p.AttachmentMaxSizeEnabled > 0 && pdfSize > p.AttachmentMaxSizeEnabled {
		out = append(out, "une taille maximale des pièces jointes (attachmentMaxSizeEnabled) d'au moins 1 Mo pour l'attestation PDF")
	}
	if !p.IsActivated {
		out = append(out, "l'activation de la démarche (isActivated : true)")
	}
	return out
}
