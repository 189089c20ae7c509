package render

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin",
	"juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// FrenchDate writes t as French prose: "23 novembre 2026", "1er mars 2001".
func FrenchDate(t time.Time) string {
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// clean makes s printable: NFC (Apogée or a browser may hand decomposed accents,
// which the font has no positioning rules for), control characters turned into spaces,
// runs of spaces folded, ends trimmed.
func clean(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ects prints a credit count as Apogée gives it ("180", "180.0", "60,00", "7.5")
// the French way: "180", "7,5".
func ects(s string) string {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || f < 0 {
		return s
	}
	return strings.Replace(strconv.FormatFloat(f, 'f', -1, 64), ".", ",", 1)
}

// presenter writes "{title} de {university}" without saying "Université" twice:
// "Le Président de l'Université" + "Université de Démo" gives "Le Président de
// l'Université de Démo"; a title that already names the university is kept as is;
// otherwise the university follows after a comma.
func presenter(title, university string) string {
	switch {
	case university == "":
		return title
	case strings.Contains(strings.ToLower(title), strings.ToLower(university)):
		return title
	}
	// last word of the title, after a space or an apostrophe
	last := title
	if i := strings.LastIndexFunc(title, func(r rune) bool { return r == ' ' || r == '\'' || r == '’' }); i >= 0 {
		_, size := utf8.DecodeRuneInString(title[i:])
		last = title[i+size:]
	}
	if last != "" && len(university) > len(last) &&
		strings.EqualFold(university[:len(last)], last) && university[len(last)] == ' ' {
		return title + university[len(last):]
	}
	return title + ", " + university + ","
}

// isoDate writes "2006-01-02" in French prose.
func isoDate(s string) (string, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", false
	}
	return FrenchDate(t), true
}
