package analysis

import "strings"

// normalizeWord maps a lower-case ASCII word to the form it is stemmed from,
// so that words Snowball stems apart but a reader takes for the same word get
// one term:
//   - irregular past forms and plurals become their base form ("met" ->
//     "meet", "brought" -> "bring", "women" -> "woman"), as a lemmatiser
//     would; forms that are also common nouns or adjectives of another
//     meaning ("left", "saw", "fell", "shot", "fed") are left alone;
//   - British spellings become American ones ("defence" -> "defense",
//     "organise" -> "organize", "colour" -> "color", "centre" -> "center",
//     "anaemia" -> "anemia"), since Snowball's English stemmer handles the
//     -ize family and leaves "defenc" apart from "defens".
//
// The mapping is applied to documents and queries alike, so it only has to
// be consistent, not a correct spelling of every word.
func normalizeWord(w string) string {
	if base, ok := irregular[w]; ok {
		return base
	}
	if us, ok := britishWords[w]; ok {
		return us
	}
	if us, ok := izeForm(w); ok {
		return us
	}
	if len(w) > 0 {
		for _, r := range rootsByFirst[w[0]] {
			if strings.HasPrefix(w, r.uk) {
				return r.us + w[len(r.uk):]
			}
		}
	}
	if i := strings.Index(w, "aemi"); i > 0 {
		return w[:i] + "emi" + w[i+4:] // anaemia, leukaemia, ischaemia, hypoglycaemia
	}
	if i := strings.Index(w, "paed"); i >= 0 {
		return w[:i] + "ped" + w[i+4:] // paediatric, orthopaedic
	}
	return w
}

// izeSuffixes are the endings of the -ise family with their -ize forms.
var izeSuffixes = [...]struct{ uk, us string }{
	{"isations", "izations"}, {"isation", "ization"},
	{"ising", "izing"}, {"isers", "izers"}, {"iser", "izer"},
	{"ised", "ized"}, {"ises", "izes"}, {"ise", "ize"},
	{"ysing", "yzing"}, {"ysed", "yzed"}, {"yses", "yzes"}, {"yser", "yzer"}, {"yse", "yze"},
}

// izeRootEnds are the endings of the roots that take -ise in British and
// -ize in American spelling ("real-ise", "organ-ise", "critic-ise",
// "character-ise"); the roots of words spelled -ise everywhere end
// otherwise ("adv-ise", "rev-ise", "surpr-ise", "exerc-ise"), except the few
// in notIze.
var izeRootEnds = [...]string{
	"al", "ar", "ol", "on", "rn", "at", "it", "ic", "og", "om", "im", "in",
	"il", "er", "or", "an", "th", "gn", "rd", "id", "as", "ot", "ut",
}

// notIze holds -ise roots that end like an -ize root but are spelled -ise
// in American English too.
var notIze = map[string]bool{"prom": true, "comprom": true, "treat": true, "surm": true, "expert": true, "merchand": true}

// izeForm returns the American form of a British -ise or -yse word.
func izeForm(w string) (string, bool) {
	// Every suffix holds "is" or "ys" within the last nine letters.
	if tail := w[max(0, len(w)-9):]; !strings.Contains(tail, "is") && !strings.Contains(tail, "ys") {
		return w, false
	}
	for _, s := range izeSuffixes {
		root, ok := strings.CutSuffix(w, s.uk)
		if !ok {
			continue
		}
		if s.uk[0] == 'y' {
			// analyse, paralyse, catalyse, dialyse, hydrolyse
			if len(root) >= 3 && strings.HasSuffix(root, "l") {
				return root + s.us, true
			}
			return w, false
		}
		if len(root) < 4 || notIze[root] {
			return w, false
		}
		for _, e := range izeRootEnds {
			if strings.HasSuffix(root, e) {
				return root + s.us, true
			}
		}
		return w, false
	}
	return w, false
}

type britishRoot struct{ uk, us string }

// britishRoots are British word beginnings with their American spelling;
// every word that starts with one is respelled ("colours", "favourite",
// "neighbourhood", "haemorrhage").
var britishRoots = [...]britishRoot{
	{"armour", "armor"}, {"ardour", "ardor"}, {"behaviour", "behavior"}, {"candour", "candor"},
	{"clamour", "clamor"}, {"colour", "color"}, {"endeavour", "endeavor"}, {"favour", "favor"},
	{"fervour", "fervor"}, {"flavour", "flavor"}, {"harbour", "harbor"}, {"honour", "honor"},
	{"humour", "humor"}, {"labour", "labor"}, {"neighbour", "neighbor"}, {"odour", "odor"},
	{"parlour", "parlor"}, {"rancour", "rancor"}, {"rigour", "rigor"}, {"rumour", "rumor"},
	{"saviour", "savior"}, {"savour", "savor"}, {"splendour", "splendor"}, {"tumour", "tumor"},
	{"valour", "valor"}, {"vapour", "vapor"}, {"vigour", "vigor"},
	{"haem", "hem"}, {"anaesth", "anesth"}, {"oesophag", "esophag"}, {"oestr", "estr"},
	{"oedem", "edem"}, {"foet", "fet"}, {"aetiol", "etiol"}, {"gynaec", "gynec"},
	{"diarrhoe", "diarrhe"}, {"dyspnoe", "dyspne"}, {"apnoe", "apne"}, {"coeliac", "celiac"},
	{"manoeuvr", "maneuver"}, {"sceptic", "skeptic"},
}

// rootsByFirst holds britishRoots by their first letter.
var rootsByFirst = func() map[byte][]britishRoot {
	m := map[byte][]britishRoot{}
	for _, r := range britishRoots {
		m[r.uk[0]] = append(m[r.uk[0]], r)
	}
	return m
}()

// britishWords are whole British words with their American spelling.
var britishWords = map[string]string{
	"defence": "defense", "defences": "defenses", "offence": "offense", "offences": "offenses",
	"licence": "license", "licences": "licenses", "pretence": "pretense",
	"centre": "center", "centres": "centers", "centred": "centered", "centring": "centering",
	"theatre": "theater", "theatres": "theaters", "metre": "meter", "metres": "meters",
	"kilometre": "kilometer", "kilometres": "kilometers", "centimetre": "centimeter",
	"centimetres": "centimeters", "millimetre": "millimeter", "millimetres": "millimeters",
	"litre": "liter", "litres": "liters", "fibre": "fiber", "fibres": "fibers",
	"calibre": "caliber", "spectre": "specter", "sombre": "somber", "lustre": "luster",
	"meagre": "meager", "sabre": "saber",
	"programme": "program", "programmes": "programs", "catalogue": "catalog",
	"catalogues": "catalogs", "dialogue": "dialog", "dialogues": "dialogs",
	"analogue": "analog", "analogues": "analogs", "grey": "gray", "cheque": "check",
	"cheques": "checks", "judgement": "judgment", "judgements": "judgments",
	"acknowledgement": "acknowledgment", "aluminium": "aluminum", "mould": "mold",
	"moulds": "molds", "plough": "plow", "jewellery": "jewelry", "practise": "practice",
	"practised": "practiced", "practising": "practicing", "enrolment": "enrollment",
	"fulfil": "fulfill", "fulfilment": "fulfillment", "instalment": "installment",
}

// irregular maps irregular past forms and plurals to their base forms.
var irregular = map[string]string{
	"arose": "arise", "arisen": "arise", "ate": "eat", "eaten": "eat", "beaten": "beat",
	"became": "become", "began": "begin", "begun": "begin", "bitten": "bite", "bled": "bleed",
	"blew": "blow", "blown": "blow", "bred": "breed", "broke": "break", "broken": "break",
	"brought": "bring", "built": "build", "bought": "buy", "came": "come", "caught": "catch",
	"chose": "choose", "chosen": "choose", "clung": "cling", "dealt": "deal", "dug": "dig",
	"drew": "draw", "drawn": "draw", "drove": "drive", "driven": "drive", "fallen": "fall",
	"felt": "feel", "fled": "flee", "flew": "fly", "flown": "fly", "forbade": "forbid",
	"forbidden": "forbid", "foresaw": "foresee", "foreseen": "foresee", "forgot": "forget",
	"forgotten": "forget", "forgave": "forgive", "forgiven": "forgive", "fought": "fight",
	"found": "find", "froze": "freeze", "frozen": "freeze", "gave": "give", "given": "give",
	"went": "go", "gone": "go", "grew": "grow", "grown": "grow", "heard": "hear",
	"held": "hold", "hid": "hide", "hidden": "hide", "hung": "hang", "kept": "keep",
	"knew": "know", "known": "know", "laid": "lay", "led": "lead", "lost": "lose",
	"made": "make", "meant": "mean", "met": "meet", "misled": "mislead", "mistook": "mistake",
	"mistaken": "mistake", "overcame": "overcome", "oversaw": "oversee", "overseen": "oversee",
	"overtook": "overtake", "overtaken": "overtake", "paid": "pay", "ran": "run",
	"rebuilt": "rebuild", "rode": "ride", "ridden": "ride", "risen": "rise", "said": "say",
	"sank": "sink", "sunk": "sink", "sat": "sit", "seen": "see", "sought": "seek",
	"sold": "sell", "sent": "send", "shook": "shake", "shaken": "shake", "shone": "shine",
	"shrank": "shrink", "shrunk": "shrink", "slept": "sleep", "slid": "slide", "sped": "speed",
	"spent": "spend", "spoken": "speak", "spun": "spin", "sprang": "spring", "sprung": "spring",
	"stole": "steal", "stolen": "steal", "stood": "stand", "strove": "strive", "striven": "strive",
	"struck": "strike", "stuck": "stick", "swore": "swear", "sworn": "swear", "swept": "sweep",
	"swung": "swing", "taught": "teach", "took": "take", "taken": "take", "thought": "think",
	"threw": "throw", "thrown": "throw", "told": "tell", "understood": "understand",
	"undertook": "undertake", "undertaken": "undertake", "upheld": "uphold", "wept": "weep",
	"withdrew": "withdraw", "withdrawn": "withdraw", "withheld": "withhold", "woke": "wake",
	"woken": "wake", "won": "win", "wore": "wear", "worn": "wear", "wrote": "write",
	"written": "write",
	"men":     "man", "women": "woman", "children": "child", "feet": "foot", "teeth": "tooth",
	"mice": "mouse", "geese": "goose",
}
