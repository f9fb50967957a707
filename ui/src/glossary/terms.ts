// The words of the welfare system a facilitator meets on the screens and may not know: what each
// means, in both languages. Kept short; each says what the word is and why it matters here.

export interface Term {
  /** The word as it appears in the text, e.g. "BPL" or "D5". */
  word: string;
  en: string;
  hi: string;
}

export const TERMS: Term[] = [
  {
    word: "BPL",
    en: "Below Poverty Line: the state's list of poor families. Many pensions and schemes need the family's name on it.",
    hi: "गरीबी रेखा से नीचे (Below Poverty Line): राज्य की गरीब परिवारों की सूची। कई पेंशन और योजनाओं के लिए परिवार का नाम इसमें होना चाहिए।",
  },
  {
    word: "APL",
    en: "Above Poverty Line: a family not on the BPL list.",
    hi: "गरीबी रेखा से ऊपर (Above Poverty Line): जिस परिवार का नाम BPL सूची में नहीं है।",
  },
  {
    word: "SECC",
    en: "Socio-Economic and Caste Census of 2011. Its lists decide who gets Ayushman Bharat (PM-JAY) and a house under PMAY-G.",
    hi: "2011 की सामाजिक-आर्थिक जाति जनगणना (Socio-Economic and Caste Census)। इसकी सूचियों से तय होता है कि आयुष्मान भारत (PM-JAY) और प्रधानमंत्री आवास (PMAY-G) किसे मिले।",
  },
  {
    word: "NFSA",
    en: "National Food Security Act, 2013: the law behind the PHH and AAY ration cards.",
    hi: "राष्ट्रीय खाद्य सुरक्षा कानून, 2013: PHH और AAY राशन कार्ड इसी कानून से बनते हैं।",
  },
  {
    word: "PHH",
    en: "Priority Household ration card under NFSA: 5 kg of grain per person each month.",
    hi: "प्राथमिकता वाला परिवार (Priority Household) राशन कार्ड: हर सदस्य को हर महीने 5 किलो अनाज।",
  },
  {
    word: "AAY",
    en: "Antyodaya Anna Yojana ration card, for the poorest families: 35 kg of grain per family each month.",
    hi: "अंत्योदय अन्न योजना राशन कार्ड, सबसे गरीब परिवारों के लिए: हर परिवार को हर महीने 35 किलो अनाज।",
  },
  {
    word: "PVTG",
    en: "Particularly Vulnerable Tribal Group, such as the Birhor, Asur or Pahariya.",
    hi: "विशेष रूप से कमज़ोर जनजाति समूह (Particularly Vulnerable Tribal Group), जैसे बिरहोर, असुर या पहाड़िया।",
  },
  {
    word: "D1",
    en: "SECC deprivation D1: only one room, with kucha walls and a kucha roof.",
    hi: "SECC कमी D1: सिर्फ़ एक कमरा, कच्ची दीवारें और कच्ची छत।",
  },
  {
    word: "D2",
    en: "SECC deprivation D2: no adult member aged 16 to 59.",
    hi: "SECC कमी D2: परिवार में 16 से 59 साल का कोई सदस्य नहीं।",
  },
  {
    word: "D3",
    en: "SECC deprivation D3: a woman heads the family and there is no adult man aged 16 to 59.",
    hi: "SECC कमी D3: परिवार की मुखिया महिला है और 16 से 59 साल का कोई पुरुष सदस्य नहीं।",
  },
  {
    word: "D4",
    en: "SECC deprivation D4: a member with a disability and no able-bodied adult member.",
    hi: "SECC कमी D4: परिवार में कोई दिव्यांग सदस्य है और कोई सक्षम बड़ा सदस्य नहीं।",
  },
  {
    word: "D5",
    en: "SECC deprivation D5: a Scheduled Caste or Scheduled Tribe family.",
    hi: "SECC कमी D5: अनुसूचित जाति या अनुसूचित जनजाति का परिवार।",
  },
  {
    word: "D6",
    en: "SECC deprivation D6: no literate adult above 25 years.",
    hi: "SECC कमी D6: 25 साल से बड़ा कोई सदस्य पढ़ा-लिखा नहीं।",
  },
  {
    word: "D7",
    en: "SECC deprivation D7: landless, living mainly on casual manual labour.",
    hi: "SECC कमी D7: भूमिहीन, और कमाई ज़्यादातर दिहाड़ी मज़दूरी से।",
  },
];

const BY_WORD = new Map(TERMS.map((x) => [x.word, x]));
// Whole words only, so that "D5" is a term and "PD5" or "AAYUSH" are not.
const PATTERN = new RegExp(`(?<![\\p{L}\\p{N}])(${TERMS.map((x) => x.word).join("|")})(?![\\p{L}\\p{N}])`, "u");

/** `text` cut into plain pieces and glossary words, in order. */
export function findTerms(text: string): (string | Term)[] {
  const out: (string | Term)[] = [];
  let rest = text;
  for (;;) {
    const m = PATTERN.exec(rest);
    if (m === null) break;
    if (m.index > 0) out.push(rest.slice(0, m.index));
    out.push(BY_WORD.get(m[1]!)!);
    rest = rest.slice(m.index + m[1]!.length);
  }
  if (rest !== "") out.push(rest);
  return out;
}
