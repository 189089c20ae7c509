package sim

// Name pools for the demo students: French names with accents, hyphens, particles and
// apostrophes, and a few international names outside Latin-1.

var firstNamesF = []string{
	"Élodie", "Anaïs", "Marie-Hélène", "Camille", "Léa", "Chloé", "Manon", "Inès", "Zoé", "Louise",
	"Juliette", "Clémence", "Océane", "Noémie", "Maëlle", "Sarah", "Emma", "Jade", "Lucie", "Agathe",
	"Hélène", "Bérénice", "Anne-Sophie", "Fatoumata", "Aïcha", "Yasmine", "Salomé", "Margaux", "Héloïse", "Lina",
	"Şeyma", "Małgorzata", "Thị Minh Anh", "Björk", "Zuzanna",
}

var firstNamesM = []string{
	"Loïc", "Noël", "Jean-Baptiste", "Théo", "Lucas", "Hugo", "Maxime", "Antoine", "Clément", "Mathéo",
	"Raphaël", "Gaëtan", "Jérôme", "Benoît", "François", "Adrien", "Quentin", "Baptiste", "Mehdi", "Youssef",
	"Jean-Marc", "Pierre-Louis", "Mamadou", "Kévin", "Nathan", "Éric", "Timothée", "Aurélien", "Valentin", "Enzo",
	"Łukasz", "Mateusz", "Đức Anh", "Søren", "Jiří",
}

var lastNames = []string{
	"Martin", "Bernard", "Dubois", "Lefèvre", "Lemaître", "Fontaine", "Girard", "Bonnet", "Mercier", "Chevalier",
	"Rousseau", "Faure", "Gauthier", "Perrin", "Morel", "Masson", "Lacroix", "Noël", "Brûlé", "Besançon",
	"N'Diaye", "D'Almeida", "de La Fontaine", "Le Goff", "Le Bihan", "Saint-Exupéry", "Dupont-Moretti", "O'Connor",
	"Diallo", "Traoré", "Benali", "Haddad", "Nguyễn", "Trần", "Kowalski", "Wiśniewska", "Yılmaz", "Öztürk",
	"García Márquez", "Da Silva", "Van der Berghe", "de Montmorency-Laval", "Ferrand-Lévêque", "Bréhault", "Hoàng",
}

var birthTowns = []string{
	"Nancy", "Metz", "Épinal", "Strasbourg", "Besançon", "Saint-Étienne", "Aix-en-Provence", "Lyon", "Paris", "Lille",
	"Châlons-en-Champagne", "Thionville", "Dakar", "Hanoï", "Kraków", "İstanbul", "Bamako", "Alger", "Porto", "Liège",
}
