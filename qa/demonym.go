package qa

// demonyms pairs the adjective or people of a country with its name, so
// that a question about "the Spanish government" matches a sentence about
// Spain and the other way round. Both words are analysed when an Answerer
// is made.
var demonyms = [][2]string{
	{"afghan", "afghanistan"}, {"albanian", "albania"}, {"algerian", "algeria"}, {"american", "america"},
	{"argentine", "argentina"}, {"argentinian", "argentina"}, {"armenian", "armenia"}, {"australian", "australia"},
	{"austrian", "austria"}, {"azerbaijani", "azerbaijan"}, {"bangladeshi", "bangladesh"}, {"belarusian", "belarus"},
	{"belgian", "belgium"}, {"bolivian", "bolivia"}, {"bosnian", "bosnia"}, {"brazilian", "brazil"},
	{"british", "britain"}, {"bulgarian", "bulgaria"}, {"burmese", "myanmar"}, {"cambodian", "cambodia"},
	{"canadian", "canada"}, {"chilean", "chile"}, {"chinese", "china"}, {"colombian", "colombia"},
	{"croatian", "croatia"}, {"cuban", "cuba"}, {"cypriot", "cyprus"}, {"czech", "czechia"},
	{"danish", "denmark"}, {"dutch", "netherlands"}, {"ecuadorian", "ecuador"}, {"egyptian", "egypt"},
	{"english", "england"}, {"estonian", "estonia"}, {"ethiopian", "ethiopia"}, {"european", "europe"},
	{"filipino", "philippines"}, {"finnish", "finland"}, {"french", "france"}, {"georgian", "georgia"},
	{"german", "germany"}, {"ghanaian", "ghana"}, {"greek", "greece"}, {"haitian", "haiti"},
	{"hungarian", "hungary"}, {"icelandic", "iceland"}, {"indian", "india"}, {"indonesian", "indonesia"},
	{"iranian", "iran"}, {"iraqi", "iraq"}, {"irish", "ireland"}, {"israeli", "israel"},
	{"italian", "italy"}, {"jamaican", "jamaica"}, {"japanese", "japan"}, {"jordanian", "jordan"},
	{"kazakh", "kazakhstan"}, {"kenyan", "kenya"}, {"korean", "korea"}, {"kurdish", "kurdistan"},
	{"latvian", "latvia"}, {"lebanese", "lebanon"}, {"libyan", "libya"}, {"lithuanian", "lithuania"},
	{"malaysian", "malaysia"}, {"mexican", "mexico"}, {"moldovan", "moldova"}, {"mongolian", "mongolia"},
	{"moroccan", "morocco"}, {"nepalese", "nepal"}, {"nigerian", "nigeria"}, {"norwegian", "norway"},
	{"pakistani", "pakistan"}, {"palestinian", "palestine"}, {"peruvian", "peru"}, {"polish", "poland"},
	{"portuguese", "portugal"}, {"romanian", "romania"}, {"russian", "russia"}, {"rwandan", "rwanda"},
	{"saudi", "arabia"}, {"scottish", "scotland"}, {"serbian", "serbia"}, {"slovak", "slovakia"},
	{"slovenian", "slovenia"}, {"somali", "somalia"}, {"spanish", "spain"}, {"sudanese", "sudan"},
	{"swedish", "sweden"}, {"swiss", "switzerland"}, {"syrian", "syria"}, {"taiwanese", "taiwan"},
	{"thai", "thailand"}, {"tunisian", "tunisia"}, {"turkish", "turkey"}, {"ugandan", "uganda"},
	{"ukrainian", "ukraine"}, {"venezuelan", "venezuela"}, {"vietnamese", "vietnam"}, {"welsh", "wales"},
	{"yemeni", "yemen"}, {"zimbabwean", "zimbabwe"},
}
