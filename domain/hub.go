package domain

// Hub is the HubEE port (service instructeur). Its methods are defined with the HubEE sync.
type Hub interface{}
