package textfold

import "testing"

func TestFolding(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(string) string
		in   map[string]string
	}{
		{"Unaccent keeps case, spells ligatures", Unaccent, map[string]string{
			"Éléonore":           "Eleonore",
			"ÇA VA, Noël ?":      "CA VA, Noel ?",
			"Lætitia Œuvray":     "Laetitia OEuvray",
			"cœur, ŒIL":          "coeur, OEIL",
			"Łukasz Søren Đorđe": "Lukasz Soren Dorde",
			"Straße":             "Strasse",
			"Nguyễn Thị":         "Nguyen Thi",
			"N'Diaye-Müller":     "N'Diaye-Muller",
			"« guillemets »":     "« guillemets »", // not letters: kept
			"plain ASCII":        "plain ASCII",
			"":                   "",
		}},
		{"Fold lowercases for search", Fold, map[string]string{
			"ÉLÉONORE":       "eleonore",
			"Éléonore":       "eleonore",
			"ŒDIPE Æsir":     "oedipe aesir",
			"Mañana à Ÿvoir": "manana a yvoir",
		}},
		{"ASCII for HTTP headers and OpenSSH prompts", ASCII, map[string]string{
			"Essai refusé : « compte verrouillé » — réessayez": `Essai refuse : " compte verrouille " - reessayez`,
			"Université d’Exemple – Besançon":                  "Universite d'Exemple - Besancon",
			"Cœur\u00a0Æther\tß":                               "Coeur AEther ss",
			"日本":                                               "??",
			"plain":                                            "plain",
		}},
	} {
		for in, want := range c.in {
			if got := c.fn(in); got != want {
				t.Errorf("%s: %q gives %q, want %q", c.name, in, got, want)
			}
		}
	}
}

func TestUnaccentConcurrent(t *testing.T) { // run with -race: the transform chains are pooled
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 200 {
				if Unaccent("Hélène") != "Helene" {
					t.Error("Hélène")
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}
