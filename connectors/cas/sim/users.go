package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// User is one account of the simulated CAS.
type User struct {
	ID         string            `yaml:"id"`       // CAS user id (cas:user)
	Password   string            `yaml:"password"` // clear text: test and demo accounts only
	Locked     bool              `yaml:"locked"`   // the CAS refuses it as locked
	Attributes map[string]Values `yaml:"attributes"`
}

// Values is an attribute's values; in the file, a single string or a list.
type Values []string

// UnmarshalYAML accepts "a" as well as ["a", "b"].
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*v = Values{n.Value}
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*v = s
		return nil
	}
	return fmt.Errorf("ligne %d : un attribut est une chaîne ou une liste de chaînes", n.Line)
}

var attrName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// usersFile is the YAML file of simulator accounts:
//
//	users:
//	  - id: jdupont
//	    password: secret
//	    attributes:
//	      mail: jean.dupont@univ-demo.fr
//	      eduPersonAffiliation: [staff, employee]
//	  - id: mmartin
//	    password: secret
//	    locked: true
type usersFile struct {
	Users []User `yaml:"users"`
}

// ParseUsers reads the YAML users file (unknown keys are errors).
func ParseUsers(data []byte) ([]User, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f usersFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("CAS simulé : fichier des comptes : %w", err)
	}
	seen := map[string]bool{}
	for i, u := range f.Users {
		switch {
		case strings.TrimSpace(u.ID) == "":
			return nil, fmt.Errorf("CAS simulé : compte n°%d sans id", i+1)
		case u.Password == "":
			return nil, fmt.Errorf("CAS simulé : compte %s sans mot de passe", u.ID)
		case seen[u.ID]:
			return nil, fmt.Errorf("CAS simulé : compte %s en double", u.ID)
		}
		for k := range u.Attributes {
			if !attrName.MatchString(k) {
				return nil, fmt.Errorf("CAS simulé : compte %s : nom d'attribut %q invalide (lettres, chiffres, _ . -)", u.ID, k)
			}
		}
		seen[u.ID] = true
	}
	if len(f.Users) == 0 {
		return nil, errors.New("CAS simulé : le fichier des comptes ne déclare aucun compte (clé users)")
	}
	return f.Users, nil
}

// LoadUsers reads the users file at path (config cas.simulator_users_file).
func LoadUsers(path string) ([]User, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CAS simulé : %w", err)
	}
	return ParseUsers(b)
}
