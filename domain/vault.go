package domain

// Vault is the Digiposte port (R19–R22). Its methods are defined with the Digiposte cycle.
type Vault interface{}
