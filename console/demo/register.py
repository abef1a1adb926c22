"""A synthetic breach register for demos, tests and benchmarks.

Writes the four files of the exchange format (specs/register-format.md) for a
made-up New Zealand patient portal: every portal account is a person, about
7% of them had files stolen, Northland far more often than elsewhere.

The data is shaped like the real thing where the helpline's matching cares:
Māori and Pacific names with macrons (and sometimes without, as registers lose
them), hyphenated and multi-part family names, preferred names, households
that share an address and a landline, twins who share everything but their
given names, phones written every way New Zealanders write them plus a few
that cannot be parsed, and NHIs in both formats with correct check characters.

Faker costs tens of microseconds a call, so it only fills pools of names and
streets once; every row is then drawn from those pools with one seeded
`random.Random`, which keeps two million persons well under a minute and
makes the output byte-identical for a given seed.
"""

import csv
import hashlib
import json
import os
import random
import unicodedata
from datetime import date
from pathlib import Path

from console.core.nhi import ALPHABET as NHI_LETTERS
from console.core.nhi import check_character
from console.core.timeutil import now

FORMAT = "breach-register"
FORMAT_VERSION = 1
PERSON_COLUMNS = (
    "person_id", "nhi", "family_name", "given_names", "preferred_name", "date_of_birth", "phones",
    "email", "address", "suburb", "city", "postcode", "region", "practice_code", "notification_code",
)
DOCUMENT_COLUMNS = ("document_id", "person_id", "category", "document_date", "source_practice_code", "sensitive")
PRACTICE_COLUMNS = ("practice_code", "name", "region")

PROGRESS_EVERY = 10_000
PERSONS_PER_PRACTICE = 2_000
MIN_PRACTICES = 3

# Share of persons with files stolen: the breach went through practices, and
# most Northland practices were hit.
AFFECTED_NORTHLAND = 0.25
AFFECTED_ELSEWHERE = 0.055
BREACHED_PRACTICES_NORTHLAND = 0.85
BREACHED_PRACTICES_ELSEWHERE = 0.33

# Stolen files per affected person, 1 to 10, mean 3.42.
DOCUMENTS_PER_AFFECTED = ((1, 25), (2, 20), (3, 15), (4, 12), (5, 9), (6, 7), (7, 5), (8, 3), (9, 2), (10, 2))
CATEGORIES = (("referral_letter", 40), ("user_upload", 35), ("discharge_summary", 25))
SENSITIVE = 0.04
UNDATED_DOCUMENT = 0.05
OLD_DOCUMENT = 0.05  # dated 2005–2014; the rest 2015–2025

HOUSEHOLD_SIZES = ((1, 38), (2, 32), (3, 14), (4, 16))
TWIN_HOUSEHOLDS = 0.02  # of households of three or four: about 0.5% of persons are twins
LANDLINE_SINGLE = 0.25
LANDLINE_SHARED = 0.45
LISTS_HOUSEHOLD_LANDLINE = 0.85
OWN_MOBILE_ADULT = 0.88
OWN_MOBILE_TEEN = 0.6
SECOND_MOBILE = 0.08
PARENTS_MOBILE_CHILD = 0.5
UNPARSEABLE_PHONE = 0.02
EMAIL_ADULT = 0.66
PARENTS_EMAIL_CHILD = 0.35
NHI_SHARE = 0.90
NOTIFICATION_CODE_SHARE = 0.85
PREFERRED_NICKNAME = 0.4
PREFERRED_ENGLISH_NAME = 0.35  # Chinese and Korean given names
PREFERRED_MIDDLE_NAME = 0.05
MISSING_DOB = 0.01
MISSING_ADDRESS = 0.04
MISSING_SUBURB = 0.03
MISSING_POSTCODE = 0.02
NO_PRACTICE = 0.05
PRACTICE_ELSEWHERE = 0.03
HYPHENATED_HEAD = 0.02

FIRST_DAY = date(1925, 1, 1).toordinal()
LAST_DAY = date(2025, 12, 31).toordinal()
RECENT_DOCUMENTS = date(2015, 1, 1).toordinal()
OLD_DOCUMENTS = date(2005, 1, 1).toordinal()
YEAR = 365.2425
ADULT_LATEST = LAST_DAY - int(18 * YEAR)
CHILD_BORN_AFTER = LAST_DAY - int(16 * YEAR)  # under 16: no email of their own
MOBILE_AGE_BORN_BY = LAST_DAY - int(12 * YEAR)  # 12 and over may have a mobile
# A parent's age when a child is born; a parent less than two years past the
# youngest has a flatmate instead, or every such child would be a newborn.
PARENT_AGES = (20, 42)
# (youngest, oldest) age of a household's first person, with weights.
HEAD_AGES = (((18, 30), 20), ((30, 45), 27), ((45, 65), 32), ((65, 80), 16), ((80, 100), 5))

# Mobile prefixes, and per landline area code (each region has one) the first
# digits of a subscriber number that phonenumbers accepts as valid.
MOBILE_PREFIXES = (("21", 35), ("27", 30), ("22", 15), ("29", 12), ("20", 8))
SIX_DIGIT_021 = 0.03  # older 021 numbers have six digits after the prefix
LANDLINE_FIRST_DIGITS = {"3": "2345679", "4": "23456789", "6": "2356789", "7": "2345789", "9": "23456789"}
MOBILE_STYLES = (
    ("0{p} {a} {b}", 40), ("0{p}{s}", 20), ("+64 {p} {a} {b}", 12), ("+64{p} {s}", 6),
    ("0{p} {s}", 8), ("0{p}-{a}-{b}", 4),
)
LANDLINE_STYLES = (
    ("0{d} {a} {b}", 40), ("(0{d}) {a}-{b}", 15), ("0{d}-{a} {b}", 12), ("0064 {d} {a} {b}", 5),
    ("+64 {d} {a} {b}", 10), ("0{d}{s}", 10), ("(0{d}) {a} {b}", 8),
)
# Written by someone who did not know or mistyped the number: fewer than nine
# digits, so never a valid New Zealand number.
UNPARSEABLE_STYLES = (
    ("not known", 3), ("unknown", 2), ("n/a", 2), ("none given", 1), ("0{p} {a}", 3), ("0{p} {a} {b1}", 3),
    ("0{p} {b}", 2), ("0{d} {a} {b2}", 3),
)

EMAIL_DOMAINS = (("example.co.nz", 40), ("example.com", 35), ("example.org", 15), ("example.net", 10))
EMAIL_STYLES = (
    ("{g}.{f}", 30), ("{g}{f}", 12), ("{i}{f}", 12), ("{g}.{f}{n}", 12), ("{g}{n}", 10), ("{f}.{g}", 6),
    ("{g}_{f}", 5), ("{g}{y}", 8), ("{i}.{f}{y}", 5),
)
EMAIL_CAPITALISED = 0.08
EMAIL_SHOUTED = 0.02

# The unambiguous alphabet of notification codes: no 0/O, 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

# Name, ISO 3166-2:NZ code, population in thousands (2023 census), landline
# area code, and towns: (city, weight, suburbs as (suburb, postcode) pairs, or
# the postcode alone when the suburb is the town itself).
REGIONS = (
    ("Northland", "NTL", 203, "9", (
        ("Whangārei", 55, (("Whangārei", "0110"), ("Kamo", "0112"), ("Tikipunga", "0112"), ("Onerahi", "0110"),
                            ("Maunu", "0110"), ("Kensington", "0112"), ("Raumanga", "0110"))),
        ("Kerikeri", 9, "0230"), ("Kaitāia", 6, "0410"), ("Kaikohe", 5, "0405"), ("Dargaville", 5, "0310"),
        ("Mangawhai", 5, "0505"), ("Ruakākā", 3, "0116"), ("Paihia", 2, "0200"), ("Moerewa", 2, "0211"),
        ("Kawakawa", 2, "0210"), ("Rāwene", 1, "0473"), ("Ahipara", 1, "0481"), ("Russell", 1, "0202"),
    )),
    ("Auckland", "AUK", 1656, "9", (
        ("Auckland", 150, (
            ("Auckland Central", "1010"), ("Ponsonby", "1011"), ("Grey Lynn", "1021"), ("Mount Eden", "1024"),
            ("Epsom", "1023"), ("Remuera", "1050"), ("Parnell", "1052"), ("Mount Albert", "1025"),
            ("Sandringham", "1025"), ("Avondale", "1026"), ("Mount Roskill", "1041"), ("Three Kings", "1042"),
            ("Onehunga", "1061"), ("Ōtāhuhu", "1062"), ("Ellerslie", "1051"), ("Glen Innes", "1072"),
            ("Panmure", "1072"), ("Point England", "1072"), ("Mount Wellington", "1060"), ("Māngere", "2022"),
            ("Māngere East", "2024"), ("Ōtara", "2023"), ("Papatoetoe", "2025"), ("Manurewa", "2102"),
            ("Clendon Park", "2103"), ("Weymouth", "2103"), ("Takanini", "2112"), ("Papakura", "2110"),
            ("Flat Bush", "2019"), ("Botany Downs", "2010"), ("Howick", "2014"), ("Pakuranga", "2010"),
            ("Henderson", "0612"), ("Te Atatū Peninsula", "0610"), ("Glen Eden", "0602"), ("New Lynn", "0600"),
            ("Massey", "0614"), ("Rānui", "0612"), ("Kelston", "0602"), ("Titirangi", "0604"),
            ("Takapuna", "0622"), ("Devonport", "0624"), ("Glenfield", "0629"), ("Birkenhead", "0626"),
            ("Northcote", "0627"), ("Albany", "0632"), ("Browns Bay", "0630"), ("Hobsonville", "0618"),
        )),
        ("Pukekohe", 4, "2120"), ("Ōrewa", 3, "0931"), ("Warkworth", 2, "0910"), ("Waiuku", 1, "2123"),
        ("Helensville", 1, "0800"),
    )),
    ("Waikato", "WKO", 498, "7", (
        ("Hamilton", 35, (
            ("Hamilton Central", "3204"), ("Hillcrest", "3216"), ("Claudelands", "3214"), ("Chartwell", "3210"),
            ("Rototuna", "3210"), ("Frankton", "3204"), ("Dinsdale", "3204"), ("Nawton", "3200"),
            ("Fairfield", "3214"), ("Flagstaff", "3210"), ("Melville", "3206"), ("Enderley", "3214"),
        )),
        ("Taupō", 7, "3330"), ("Cambridge", 5, "3434"), ("Te Awamutu", 4, "3800"), ("Tokoroa", 3, "3420"),
        ("Huntly", 2, "3700"), ("Ngāruawāhia", 2, "3720"), ("Thames", 2, "3500"), ("Matamata", 2, "3400"),
        ("Morrinsville", 2, "3300"), ("Te Kūiti", 1, "3910"), ("Paeroa", 1, "3600"), ("Whitianga", 1, "3510"),
        ("Tūrangi", 1, "3334"), ("Waihī", 1, "3610"), ("Raglan", 1, "3225"), ("Ōtorohanga", 1, "3900"),
    )),
    ("Bay of Plenty", "BOP", 344, "7", (
        ("Tauranga", 40, (
            ("Tauranga", "3110"), ("Mount Maunganui", "3116"), ("Pāpāmoa", "3118"), ("Ōtūmoetai", "3110"),
            ("Greerton", "3112"), ("Bethlehem", "3110"), ("Welcome Bay", "3112"), ("Brookfield", "3110"),
        )),
        ("Rotorua", 20, (
            ("Rotorua", "3010"), ("Ngongotahā", "3010"), ("Fordlands", "3015"), ("Glenholme", "3010"),
            ("Koutu", "3010"), ("Ōwhata", "3010"),
        )),
        ("Whakatāne", 5, "3120"), ("Te Puke", 3, "3119"), ("Ōpōtiki", 2, "3122"), ("Katikati", 2, "3129"),
        ("Kawerau", 2, "3127"), ("Murupara", 1, "3025"),
    )),
    ("Gisborne", "GIS", 51, "6", (
        ("Gisborne", 40, (("Gisborne", "4010"), ("Kaiti", "4010"), ("Elgin", "4010"), ("Mangapapa", "4010"))),
        ("Ruatōria", 2, "4032"), ("Tolaga Bay", 2, "4077"), ("Tokomaru Bay", 1, "4079"),
    )),
    ("Hawke's Bay", "HKB", 175, "6", (
        ("Napier", 35, (
            ("Napier", "4110"), ("Taradale", "4112"), ("Marewa", "4110"), ("Greenmeadows", "4112"),
            ("Onekawa", "4110"), ("Ahuriri", "4110"),
        )),
        ("Hastings", 33, (
            ("Hastings", "4122"), ("Flaxmere", "4120"), ("Camberley", "4120"), ("Mahora", "4120"), ("Akina", "4122"),
        )),
        ("Havelock North", 8, "4130"), ("Wairoa", 4, "4108"), ("Waipukurau", 3, "4200"), ("Clive", 1, "4102"),
    )),
    ("Taranaki", "TKI", 126, "6", (
        ("New Plymouth", 55, (
            ("New Plymouth", "4310"), ("Fitzroy", "4312"), ("Westown", "4310"), ("Merrilands", "4312"),
            ("Bell Block", "4312"), ("Spotswood", "4310"),
        )),
        ("Hāwera", 12, "4610"), ("Stratford", 6, "4332"), ("Waitara", 6, "4320"), ("Inglewood", 4, "4330"),
        ("Ōpunake", 2, "4616"), ("Eltham", 2, "4322"),
    )),
    ("Manawatū-Whanganui", "MWT", 251, "6", (
        ("Palmerston North", 45, (
            ("Palmerston North", "4410"), ("Hokowhitu", "4410"), ("Awapuni", "4412"), ("Highbury", "4412"),
            ("Kelvin Grove", "4414"), ("Milson", "4414"), ("Roslyn", "4414"),
        )),
        ("Whanganui", 22, (("Whanganui", "4500"), ("Gonville", "4501"), ("Aramoho", "4500"), ("Castlecliff", "4501"))),
        ("Levin", 10, "5510"), ("Feilding", 9, "4702"), ("Marton", 3, "4710"), ("Dannevirke", 3, "4930"),
        ("Taumarunui", 2, "3920"), ("Foxton", 2, "4814"), ("Ohakune", 1, "4625"), ("Taihape", 1, "4720"),
    )),
    ("Wellington", "WGN", 520, "4", (
        ("Wellington", 40, (
            ("Wellington Central", "6011"), ("Te Aro", "6011"), ("Thorndon", "6011"), ("Kelburn", "6012"),
            ("Karori", "6012"), ("Newtown", "6021"), ("Island Bay", "6023"), ("Miramar", "6022"),
            ("Kilbirnie", "6022"), ("Johnsonville", "6037"), ("Khandallah", "6035"), ("Tawa", "5028"),
            ("Brooklyn", "6021"), ("Churton Park", "6037"),
        )),
        ("Lower Hutt", 20, (
            ("Lower Hutt", "5010"), ("Petone", "5012"), ("Naenae", "5011"), ("Taitā", "5011"),
            ("Wainuiomata", "5014"), ("Stokes Valley", "5019"), ("Eastbourne", "5013"),
        )),
        ("Porirua", 11, (
            ("Porirua", "5022"), ("Cannons Creek", "5024"), ("Waitangirua", "5024"), ("Whitby", "5024"),
            ("Titahi Bay", "5022"),
        )),
        ("Upper Hutt", 9, "5018"), ("Paraparaumu", 6, "5032"), ("Masterton", 5, "5810"), ("Waikanae", 3, "5036"),
        ("Ōtaki", 2, "5512"), ("Carterton", 2, "5713"), ("Martinborough", 1, "5711"), ("Featherston", 1, "5710"),
    )),
    ("Tasman", "TAS", 58, "3", (
        ("Richmond", 15, "7020"), ("Motueka", 8, "7120"), ("Tākaka", 2, "7110"), ("Māpua", 2, "7005"),
        ("Brightwater", 2, "7022"), ("Wakefield", 1, "7025"), ("Murchison", 1, "7007"),
    )),
    ("Nelson", "NSN", 52, "3", (
        ("Nelson", 10, (
            ("Nelson", "7010"), ("Stoke", "7011"), ("Tāhunanui", "7011"), ("Atawhai", "7010"), ("The Wood", "7010"),
            ("Enner Glynn", "7011"),
        )),
    )),
    ("Marlborough", "MBH", 50, "3", (
        ("Blenheim", 25, (("Blenheim", "7201"), ("Witherlea", "7201"), ("Springlands", "7201"), ("Redwoodtown", "7201"))),
        ("Picton", 4, "7220"), ("Renwick", 2, "7204"), ("Havelock", 1, "7100"), ("Seddon", 1, "7210"),
    )),
    ("West Coast", "WTC", 32, "3", (
        ("Greymouth", 10, "7805"), ("Westport", 6, "7825"), ("Hokitika", 4, "7810"), ("Reefton", 1, "7830"),
        ("Rūnanga", 1, "7803"),
    )),
    ("Canterbury", "CAN", 655, "3", (
        ("Christchurch", 70, (
            ("Christchurch Central", "8011"), ("Riccarton", "8011"), ("Papanui", "8053"), ("Sydenham", "8023"),
            ("Addington", "8024"), ("Linwood", "8062"), ("Hornby", "8042"), ("Shirley", "8013"),
            ("Fendalton", "8041"), ("New Brighton", "8061"), ("Halswell", "8025"), ("Aranui", "8061"),
            ("Burnside", "8053"), ("Cashmere", "8022"), ("Sumner", "8081"), ("Woolston", "8062"),
            ("Bishopdale", "8053"), ("Wigram", "8025"),
        )),
        ("Timaru", 7, (("Timaru", "7910"), ("Highfield", "7910"), ("Gleniti", "7910"), ("Marchwiel", "7910"))),
        ("Ashburton", 5, "7700"), ("Rangiora", 4, "7400"), ("Rolleston", 4, "7614"), ("Kaiapoi", 3, "7630"),
        ("Lincoln", 2, "7608"), ("Temuka", 1, "7920"), ("Geraldine", 1, "7930"), ("Waimate", 1, "7924"),
        ("Kaikōura", 1, "7300"), ("Akaroa", 1, "7520"),
    )),
    ("Otago", "OTA", 247, "3", (
        ("Dunedin", 55, (
            ("Dunedin Central", "9016"), ("North Dunedin", "9016"), ("Mosgiel", "9024"), ("South Dunedin", "9012"),
            ("Roslyn", "9010"), ("Caversham", "9012"), ("St Kilda", "9012"), ("Andersons Bay", "9013"),
            ("Mornington", "9011"), ("Green Island", "9018"), ("Port Chalmers", "9023"), ("Brockville", "9011"),
        )),
        ("Queenstown", 13, (("Queenstown", "9300"), ("Frankton", "9300"), ("Arrowtown", "9302"))),
        ("Wānaka", 6, "9305"), ("Ōamaru", 6, "9400"), ("Alexandra", 3, "9320"), ("Cromwell", 3, "9310"),
        ("Balclutha", 2, "9230"), ("Milton", 1, "9220"),
    )),
    ("Southland", "STL", 100, "3", (
        ("Invercargill", 55, (
            ("Invercargill", "9810"), ("Georgetown", "9812"), ("Glengarry", "9810"), ("Windsor", "9810"),
            ("Waikiwi", "9810"), ("Strathern", "9812"), ("Kew", "9812"),
        )),
        ("Gore", 10, "9710"), ("Winton", 3, "9720"), ("Te Anau", 3, "9600"), ("Bluff", 2, "9814"),
        ("Riverton", 2, "9822"), ("Mataura", 1, "9712"),
    )),
)

# Ethnic groups of each region's population, roughly as the census counts
# them: European, Māori, Pacific, Chinese, Indian, other Asian.
REGION_GROUPS = {
    "Northland": (58, 36, 3, 1, 1, 1), "Auckland": (48, 10, 15, 11, 10, 7), "Waikato": (64, 24, 4, 3, 4, 2),
    "Bay of Plenty": (64, 28, 3, 2, 2, 2), "Gisborne": (47, 50, 3, 1, 1, 1), "Hawke's Bay": (67, 26, 5, 1, 1, 1),
    "Taranaki": (77, 19, 2, 1, 1, 1), "Manawatū-Whanganui": (70, 23, 4, 2, 2, 1), "Wellington": (67, 13, 8, 5, 4, 4),
    "Tasman": (88, 8, 1, 1, 1, 1), "Nelson": (82, 10, 2, 2, 2, 2), "Marlborough": (80, 14, 3, 1, 1, 1),
    "West Coast": (85, 12, 1, 1, 1, 1), "Canterbury": (76, 9, 3, 5, 4, 3), "Otago": (81, 9, 2, 3, 2, 3),
    "Southland": (78, 16, 3, 1, 1, 1),
}
# Within the broad groups, the cultures whose names are drawn.
GROUP_CULTURES = (
    (("european", 1),),
    (("maori", 1),),
    (("samoan", 47), ("tongan", 22), ("cook_islands", 21), ("fijian", 10)),
    (("chinese", 1),),
    (("indian", 1),),
    (("filipino", 40), ("korean", 30), ("sri_lankan", 30)),
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(","))


# Per culture: male given names, female given names, family names, and the
# share of persons whose first given name or family name is European instead.
# Faker supplies the European and Indian names.
CULTURES = {
    "maori": (
        _names("Hēmi, Tāne, Wiremu, Rāwiri, Mātiu, Tāmati, Hōhepa, Pita, Rangi, Nīkau, Manaia, Tama, Kahu, Ihaia, "
               "Mikaere, Hōne, Whetū, Tipene, Kauri, Wī, Te Rangi, Āperahama, Hōri, Ruawhetū"),
        _names("Mārama, Ātaahua, Aroha, Hine, Kiri, Mere, Moana, Ngaio, Anahera, Hana, Rāhera, Mihi, Kōwhai, "
               "Rewa, Tūī, Hinewai, Kahurangi, Ngāreta, Pania, Rongo, Whetū, Āio, Maia, Hineroa"),
        _names("Ngāta, Pōtae, Tūhoe-Rāwiri, Ngāti-Rēhia, Te Whata, Te Hira, Te Kani, Te Paa, Te Rangi, Tāmihana, "
               "Parata, Wīhongi, Hōhaia, Rāwiri, Pōmare, Tūhiwai, Herewini, Karaka, Mānuera, Waaka, Tipene, Kīngi, "
               "Hēnare, Tūtara, Whaanga, Paewai, Rēweti, Māhanga, Tautahi, Tāwhai, Ruatapu, Nikora, Poutama, "
               "Rikihana, Ngāpō, Kereama, Hāpeta, Tākerei, Waititi, Ōtene, Te Awa, Hōhepa-Ngāwhika"),
        0.25, 0.35,
    ),
    "samoan": (
        _names("Iosefa, Tavita, Ioane, Sefo, Paulo, Falaniko, Sāmuelu, Lāgi, Tūlā, Fa'amoana, Mālo, "
               "Petelo, Siaosi, Fetū"),
        _names("Mālia, Losa, Teuila, Lupe, Sina, Sieni, Fa'afetai, Salamāsina, Luana, Mele, Sōsefina, Tālia"),
        _names("Tuilagi, Fa'alogo, Leota, Sāpolu, Tuiasosopo, Afamasaga, Fonoti, Fuimaono, Lemalu, Sua, Ah Chong, "
               "Toleafoa, Fa'afoi, Aumua, Taotua, Leiataua, Pele, Tāmapua, Ah Kuoi, Lealaiauloto"),
        0.2, 0.05,
    ),
    "tongan": (
        _names("Sione, Sēmisi, Siosaia, Tēvita, Viliami, Isileli, Taniela, Ulaiasi, Sitani, Pita, Mosese, Lātū"),
        _names("Mele, Sālote, Lesieli, Siueni, Fīna, Seini, 'Ōfa, Losaline, Meleane, Vika, Kalolaine, Heilala"),
        _names("Tupou, Tāufa, Fīfita, Lātū, Vaipulu, Hāvili, Moala, Fonua, Māhina, Kioa, Vea, Helu, Taumalolo, "
               "Tonga, Vaka, Pulu, Folau, Fusitu'a, Havea"),
        0.2, 0.03,
    ),
    "cook_islands": (
        _names("Teina, Tūtai, Māka, Tangaroa, Mata, Tuaine, Ngāri, Tamaiva, Tere, Rua"),
        _names("Tīare, Vaiana, Moana, Tereapii, Mii, Tepaeru, Teuira, Mereana, Tuaine, Mārama, Teata"),
        _names("Marsters, Tangaroa, Tuara, Mātai, Teariki, Ngatamariki, Tūtai, Pōnga, Pokino, Tāpurau, "
               "Vainerere, Ūpokoina, Tupa, Heather, Browne"),
        0.25, 0.1,
    ),
    "fijian": (
        _names("Jone, Semi, Apisai, Tomasi, Viliame, Mosese, Peniamina, Josaia, Waisea, Epeli, Sakiusa, Iliesa"),
        _names("Losana, Mere, Sereana, Litia, Akanisi, Ana, Mereoni, Salanieta, Unaisi, Vasiti, Miliakere"),
        _names("Naivalu, Vunipola, Waqa, Nadolo, Rokobaro, Koroi, Vakarau, Tuilevuka, Seruvatu, Tagicakibau, "
               "Ratuva, Qalo, Nakarawa, Bulavou"),
        0.15, 0.02,
    ),
    "chinese": (
        _names("Wei, Jun, Hao, Jie, Lei, Ming, Jian, Qiang, Yong, Tao, Bin, Zhiwei, Junjie, Haoran, Yuxuan, "
               "Chi Keung, Ka Ho, Wai Man, Kin"),
        _names("Mei, Ling, Hui, Yan, Fang, Jing, Xin, Yue, Xiaoling, Jiayi, Yuting, Na, Xiu Ying, Mei Ling, "
               "Wai Yee, Siu Ling"),
        _names("Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu, Hu, Guo, He, Lin, "
               "Luo, Gao, Zheng, Xie, Wong, Chan, Leung, Lee, Ng, Cheung, Lau, Ho, Yip, Kwok, Chow, Young, Chin"),
        0.15, 0.0,
    ),
    "filipino": (
        _names("Jose, Mark, Jerome, Rommel, Jun, Carlo, Paolo, Ramil, Arnel, Rey"),
        _names("Maria, Angelica, Rhea, Marites, Jocelyn, Kristine, Analyn, Joy, Rowena, Cherry"),
        _names("dela Cruz, Santos, Reyes, Garcia, Mendoza, Bautista, de Leon, Villanueva, de los Santos, Ramos, "
               "Aquino, Castillo"),
        0.1, 0.0,
    ),
    "korean": (
        _names("Min-jun, Ji-ho, Hyun-woo, Seo-jun, Dong-hyun, Jae-won, Sung-min, Tae-yang"),
        _names("Seo-yeon, Ji-woo, Min-seo, Ha-eun, Soo-jin, Eun-ji, Hye-jin, Yoo-na"),
        _names("Kim, Park, Lee, Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han, Shin"),
        0.1, 0.0,
    ),
    "sri_lankan": (
        _names("Nimal, Chaminda, Kasun, Ruwan, Dinesh, Lasith, Thilina, Sanjeewa"),
        _names("Kumari, Dilani, Nadeesha, Chathurika, Sanduni, Ishara, Anusha, Nirmala"),
        _names("de Silva, Perera, Fernando, Jayasuriya, Wickramasinghe, Gunawardena, Bandara, de Alwis, "
               "Rajapaksa, Dissanayake, Herath"),
        0.05, 0.0,
    ),
}
# European family names Faker's New Zealand list lacks, about one in twenty.
EUROPEAN_EXTRA_FAMILY = _names(
    "van der Merwe, van den Berg, de Vries, van Dijk, de Jong, du Plessis, le Roux, de Villiers, O'Connor, "
    "O'Brien, O'Neill, O'Reilly, McKenzie, MacLeod, McLean, McIntyre, Fitzgerald, St John, Smith-Jones, "
    "Ferguson-Hall, ten Have, von Tempsky"
)
EUROPEAN_EXTRA_SHARE = 0.05
INDIAN_EXTRA_FAMILY = _names("Singh, Kaur, Patel, Sharma, Kumar, Prasad, Reddy, Naidu, Chand, Lal, Shah, Desai")
ENGLISH_NAMES_USED_BY_ASIANS = _names(
    "Vivian, Kevin, Jason, Grace, Amy, Eric, Tony, Jenny, Michelle, Alan, Cindy, David, Lily, Sunny, Jack, "
    "Coco, Emily, Peter, Helen, Ivy"
)
NICKNAMES = {
    "Patrick": ("Paddy", "Pat"), "William": ("Bill", "Will", "Billy"), "Wiremu": ("Bill", "Wi"),
    "Robert": ("Bob", "Rob"), "Elizabeth": ("Liz", "Beth"), "Margaret": ("Maggie", "Peggy"),
    "James": ("Jim", "Jimmy"), "Michael": ("Mike", "Mick"), "Richard": ("Rick", "Dick"),
    "Katherine": ("Kate",), "Catherine": ("Cathy", "Kate"), "Jennifer": ("Jen", "Jenny"),
    "Christopher": ("Chris",), "Anthony": ("Tony",), "Edward": ("Ted", "Eddie"), "Thomas": ("Tom",),
    "Joseph": ("Joe",), "Daniel": ("Dan",), "Matthew": ("Matt",), "Benjamin": ("Ben",), "Samuel": ("Sam",),
    "Alexander": ("Alex",), "Nicholas": ("Nick",), "Rebecca": ("Becky", "Bex"), "Victoria": ("Tori", "Vicky"),
    "Susan": ("Sue",), "Deborah": ("Deb",), "Patricia": ("Pat", "Trish"), "Jonathan": ("Jon",),
    "Timothy": ("Tim",), "Andrew": ("Andy",), "Jessica": ("Jess",), "Stephanie": ("Steph",),
    "Hēmi": ("Jimmy",), "Mere": ("Mary",), "Rāwiri": ("Dave",), "Tāmati": ("Tom",), "Hōne": ("Johnny",),
    "Mikaere": ("Mike",), "Pita": ("Pete",), "Sione": ("John",), "Tēvita": ("Dave",), "Viliami": ("Bill",),
    "Viliame": ("Bill",), "Sālote": ("Charlotte",), "Losana": ("Rose",), "Iosefa": ("Joe",),
    "Mosese": ("Mo",), "Jose": ("Joey",),
}
# Real NZ street names with macrons, beside Faker's surnames.
STREET_NAMES = _names(
    "Pōhutukawa, Kōwhai, Tōtara, Rimu, Mataī, Kahikatea, Pūriri, Nīkau, Rātā, Karaka, Tītoki, Kauri, Miro, "
    "Mānuka, Tawa, Harakeke, Raupō, Kererū, Tūī, Pūkeko, Kākā, Huia, Tāmaki, Ōhope, Ōtūmoetai, Kerikeri, "
    "Bank, Queen, Victoria, Main, High, Station, Beach, Church, Kamo, Te Ngae, "
    "Hobson, Albert, Devonport, Cameron, Hinemoa, Tainui, Te Rapa, Whakaue, Mangakahia, Ngāti Porou"
)
STREET_SUFFIXES = (
    ("Street", 40), ("Road", 25), ("Avenue", 8), ("Place", 7), ("Drive", 7), ("Crescent", 6),
    ("Terrace", 4), ("Lane", 3),
)
PRACTICE_NAMES = (
    ("{place} Medical Centre", 30), ("{place} Family Doctors", 10), ("{place} Health Centre", 15),
    ("{place} Medical", 10), ("{place} Family Health", 8), ("{place} Doctors", 6), ("{place} Surgery", 5),
    ("Te Whare Hauora o {place}", 4), ("{place} Community Health Trust", 4),
)
# Auckland has more practices than suburbs to name them after: after this many
# clashes a street names the practice.
PRACTICE_NAME_TRIES = 5


def _expand(weighted) -> tuple:
    """Each item as often as its integer weight: `rng.choice` on the result is
    a weighted draw, far cheaper than `random.choices`."""
    return tuple(item for item, weight in weighted for _ in range(weight))


def _plain(text: str) -> str:
    """Macrons dropped: how many registers hold Māori and Pacific names."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _email_part(text: str) -> str:
    return "".join(c for c in _plain(text).lower() if c.isalpha() or c == "-")


def _name_pool(names) -> tuple:
    """(name, email part) pairs, each name as often as it comes; a quarter of
    the time a name with macrons appears without them."""
    pool = []
    for name in names:
        plain = _plain(name)
        pool.extend([name] * 3 + [plain])
    return tuple((name, _email_part(name)) for name in pool)


class _Draws(random.Random):
    """random.Random with a cheaper `choice`, drawn ten times per person: a
    float index instead of `_randbelow`'s bit-rejection loop. The bias, under
    len/2**53, does not matter for made-up data."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


class _Unused:
    """Draws numbers below `size` that were never drawn before, remembered in a
    bitmap: millions of unique NHIs and phone numbers without holding them."""

    def __init__(self, size: int, rng: random.Random, what: str):
        self.size = size
        self.left = size
        self.bits = bytearray((size + 7) // 8)
        self.random = rng.random
        self.what = what

    def draw(self) -> int:
        if self.left == 0:
            raise ValueError(f"too many persons: the {self.what} range is used up")
        bits = self.bits
        while True:
            number = int(self.random() * self.size)
            mask = 1 << (number & 7)
            if not bits[number >> 3] & mask:
                bits[number >> 3] |= mask
                self.left -= 1
                return number


class _NhiIssuer:
    """Unique NHIs, half old format AAANNNC, half new AAANNAX."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.letters = [a + b + c for a in NHI_LETTERS for b in NHI_LETTERS for c in NHI_LETTERS]
        self.digits = [f"{n:03d}" for n in range(1000)]
        self.old = _Unused(len(self.letters) * 1000, rng, "old-format NHI")
        self.new = _Unused(len(self.letters) * 100 * len(NHI_LETTERS), rng, "new-format NHI")

    def issue(self) -> str:
        if self.rng.random() < 0.5:
            while True:
                number = self.old.draw()
                body = self.letters[number // 1000] + self.digits[number % 1000]
                check = check_character(body)
                if check is not None:  # bodies without a check digit are never issued
                    return body + check
        number = self.new.draw()
        letters, rest = divmod(number, 100 * len(NHI_LETTERS))
        digits, letter = divmod(rest, len(NHI_LETTERS))
        body = self.letters[letters] + self.digits[digits][1:] + NHI_LETTERS[letter]
        return body + check_character(body)


class _NotificationCodes:
    """Unique codes like K7QF-2M9D: 40 random bits in an unambiguous alphabet."""

    def __init__(self, rng: random.Random):
        self.getrandbits = rng.getrandbits
        self.pairs = [a + b for a in CODE_ALPHABET for b in CODE_ALPHABET]
        self.issued = set()

    def issue(self) -> str:
        while True:
            bits = self.getrandbits(40)
            if bits not in self.issued:
                self.issued.add(bits)
                pairs = self.pairs
                return f"{pairs[bits >> 30]}{pairs[(bits >> 20) & 1023]}-{pairs[(bits >> 10) & 1023]}{pairs[bits & 1023]}"


class _Phones:
    """Unique mobiles and landlines, written in the many ways people write them."""

    def __init__(self, rng: _Draws):
        self.rng = rng
        self.prefixes = _expand(MOBILE_PREFIXES)
        self.mobile_styles = _expand(MOBILE_STYLES)
        self.landline_styles = _expand(LANDLINE_STYLES)
        self.unparseable_styles = _expand(UNPARSEABLE_STYLES)
        # subscriber numbers start 2-9, as the carriers issue them
        self.mobiles = {p: _Unused(8_000_000, rng, f"0{p} mobile") for p, _ in MOBILE_PREFIXES}
        self.short_021 = _Unused(800_000, rng, "six-digit 021 mobile")
        self.landlines = {
            area: _Unused(len(digits) * 1_000_000, rng, f"0{area} landline")
            for area, digits in LANDLINE_FIRST_DIGITS.items()
        }

    def mobile(self) -> tuple[str, str]:
        """A new mobile as (prefix, subscriber digits)."""
        prefix = self.rng.choice(self.prefixes)
        if prefix == "21" and self.rng.random() < SIX_DIGIT_021:
            return prefix, str(200_000 + self.short_021.draw())
        return prefix, str(2_000_000 + self.mobiles[prefix].draw())

    def landline(self, area: str) -> tuple[str, str]:
        """A new landline in the area as (area digit, seven subscriber digits)."""
        first, rest = divmod(self.landlines[area].draw(), 1_000_000)
        return area, f"{LANDLINE_FIRST_DIGITS[area][first]}{rest:06d}"

    def write_mobile(self, number: tuple[str, str]) -> str:
        prefix, digits = number
        return self.rng.choice(self.mobile_styles).format(p=prefix, s=digits, a=digits[:3], b=digits[3:])

    def write_landline(self, number: tuple[str, str]) -> str:
        area, digits = number
        return self.rng.choice(self.landline_styles).format(d=area, s=digits, a=digits[:3], b=digits[3:])

    def write_unparseable(self, mobile: tuple[str, str], area: str) -> str:
        prefix, digits = mobile
        return self.rng.choice(self.unparseable_styles).format(
            p=prefix, d=area, a=digits[:3], b=digits[3:], b1=digits[3], b2=digits[3:5])


class _Region:
    def __init__(self, name, iso, population, area, towns, cultures: dict):
        self.name = name
        self.iso = iso
        self.population = population
        self.area = area
        self.towns = _expand(
            ((city, tuple(suburbs) if isinstance(suburbs, tuple) else ((city, suburbs),)), weight)
            for city, weight, suburbs in towns
        )
        groups = REGION_GROUPS[name]
        # per thousand of the region's people
        self.cultures = _expand(
            (cultures[culture], round(1000 * group_weight / sum(groups) * weight / sum(w for _, w in group)))
            for group_weight, group in zip(groups, GROUP_CULTURES)
            for culture, weight in group
        )
        self.affected = AFFECTED_NORTHLAND if name == "Northland" else AFFECTED_ELSEWHERE
        self.breached_share = BREACHED_PRACTICES_NORTHLAND if name == "Northland" else BREACHED_PRACTICES_ELSEWHERE
        self.practices = ()
        self.breached = ()


class _Culture:
    def __init__(self, male, female, family, european_given, european_family, english_preferred=False):
        self.male = male
        self.female = female
        self.family = family
        self.european_given = european_given
        self.european_family = european_family
        self.english_preferred = english_preferred


class _Pools:
    """Names and streets, drawn from Faker once."""

    POOL = 1500

    def __init__(self, seed: int):
        from faker import Faker  # deferred: importing Faker takes longer than the rest of this module

        nz = Faker("en_NZ")
        nz.seed_instance(seed)
        india = Faker("en_IN")
        india.seed_instance(seed)
        european = _Culture(
            _name_pool(nz.first_name_male() for _ in range(self.POOL)),
            _name_pool(nz.first_name_female() for _ in range(self.POOL)),
            _name_pool([nz.last_name() for _ in range(self.POOL)]
                       + list(EUROPEAN_EXTRA_FAMILY) * int(self.POOL * EUROPEAN_EXTRA_SHARE / len(EUROPEAN_EXTRA_FAMILY))),
            0.0, 0.0,
        )
        indian = _Culture(
            _name_pool(india.first_name_male() for _ in range(self.POOL)),
            _name_pool(india.first_name_female() for _ in range(self.POOL)),
            _name_pool([india.last_name() for _ in range(self.POOL)] + list(INDIAN_EXTRA_FAMILY) * 25),
            0.1, 0.0,
        )
        self.cultures = {"european": european, "indian": indian}
        for name, (male, female, family, european_given, european_family) in CULTURES.items():
            self.cultures[name] = _Culture(
                _name_pool(male), _name_pool(female), _name_pool(family), european_given, european_family,
                english_preferred=name in ("chinese", "korean"))
        self.european = european
        suffixes = _expand(STREET_SUFFIXES)
        bases = [nz.last_name() for _ in range(self.POOL)] + list(STREET_NAMES) * 10
        self.streets = tuple(f"{nz.random_element(bases)} {nz.random_element(suffixes)}" for _ in range(2 * self.POOL))


class _Household:
    """What the people at one address share."""

    __slots__ = ("region", "city", "suburb", "postcode", "address", "landline", "head_mobile", "head_email")

    def __init__(self, region, city, suburb, postcode, address):
        self.region = region
        self.city = city
        self.suburb = suburb
        self.postcode = postcode
        self.address = address
        self.landline = None
        self.head_mobile = None
        self.head_email = None


class _RegisterWriter:
    """Generates persons household by household and streams their rows and
    their stolen files straight to CSV, so memory stays flat."""

    def __init__(self, rng: _Draws, pools: _Pools, regions: list, persons_csv, documents_csv, persons: int):
        self.rng = rng
        self.pools = pools
        self.persons_csv = persons_csv
        self.documents_csv = documents_csv
        width = max(7, len(str(persons)))
        self.person_id = f"P{{:0{width}d}}".format
        self.document_id = f"D{{:0{width}d}}".format
        self.regions = _expand((region, region.population) for region in regions)
        # every practice, as often as its size
        self.practices = tuple(p for region in regions for p in region.practices)
        self.breached = tuple(p for p in self.practices if p[3])
        self.phones = _Phones(rng)
        self.nhis = _NhiIssuer(rng)
        self.codes = _NotificationCodes(rng)
        self.sizes = _expand(HOUSEHOLD_SIZES)
        self.head_ages = _expand(HEAD_AGES)
        self.documents_per_affected = _expand(DOCUMENTS_PER_AFFECTED)
        self.categories = _expand(CATEGORIES)
        self.email_domains = _expand(EMAIL_DOMAINS)
        self.email_styles = _expand(EMAIL_STYLES)
        self.days = [date.fromordinal(d).isoformat() for d in range(FIRST_DAY, LAST_DAY + 1)]
        self.persons = 0
        self.documents = 0

    def write(self, persons: int, progress) -> None:
        reported = 0
        while self.persons < persons:
            self.household(min(self.rng.choice(self.sizes), persons - self.persons))
            if progress is not None and self.persons - reported >= PROGRESS_EVERY:
                progress(self.persons, persons)
                reported = self.persons
        if progress is not None and reported < persons:
            progress(persons, persons)

    def household(self, size: int) -> None:
        """`size` persons at one address: the first, then a partner, child or
        flatmate, then children or flatmates; twins, when there are any,
        come last."""
        rng = self.rng
        rand = rng.random
        region = rng.choice(self.regions)
        city, suburbs = rng.choice(region.towns)
        suburb, postcode = rng.choice(suburbs)
        home = _Household(region, city, suburb, postcode, self.address())
        head_culture = rng.choice(region.cultures)
        head_family = self.family_name(head_culture)
        if rand() < HYPHENATED_HEAD:
            second = self.family_name(head_culture)
            if second[0] != head_family[0]:
                head_family = (f"{head_family[0]}-{second[0]}", f"{head_family[1]}{second[1]}")
        lo, hi = rng.choice(self.head_ages)
        head_dob = LAST_DAY - int((lo + rand() * (hi - lo)) * YEAR)
        twins = size >= 3 and self.may_have_children(head_dob) and rand() < TWIN_HOUSEHOLDS
        if twins or rand() < (LANDLINE_SINGLE if size == 1 else LANDLINE_SHARED):
            home.landline = self.phones.landline(region.area)
        self.person(home, head_culture, head_family, head_dob, head=True)

        before_twins = size - 2 if twins else size
        partner_culture = partner_family = None
        if before_twins > 1:
            role = rand()
            if role < 0.6:
                # mostly the same background; half take the first person's family name
                partner_culture = head_culture if rand() < 0.8 else rng.choice(region.cultures)
                partner_family = head_family if rand() < 0.5 else self.family_name(partner_culture)
                self.person(home, partner_culture, partner_family, self.adult_near(head_dob, 7))
            elif role < 0.88:
                self.child(home, head_dob, head_culture, head_family, None, None)
            else:
                self.flatmate(home, head_dob)
        for _ in range(2, before_twins):
            if rand() < 0.85:
                self.child(home, head_dob, head_culture, head_family, partner_culture, partner_family)
            else:
                self.flatmate(home, head_dob)
        if twins:
            first_given, family, dob = self.child(
                home, head_dob, head_culture, head_family, partner_culture, partner_family, twin=True)
            self.person(home, head_culture, family, dob, twin=True, unlike=first_given)

    def child(self, home, parent_dob, culture, family, partner_culture, partner_family, twin=False) -> tuple:
        """A child of the household's first person; an adult child when the
        parent is old, a flatmate when the parent is too young."""
        rng = self.rng
        if not self.may_have_children(parent_dob):
            return self.flatmate(home, parent_dob)
        earliest = parent_dob + int(PARENT_AGES[0] * YEAR)
        dob = earliest + int(rng.random() * (min(LAST_DAY, parent_dob + int(PARENT_AGES[1] * YEAR)) - earliest))
        if partner_culture is not None:
            if rng.random() < 0.5:
                culture = partner_culture
            if partner_family != family:
                chosen = rng.random()
                if chosen < 0.12:
                    family = partner_family
                elif chosen < 0.30:  # double-barrelled: the Smith-Jones children
                    family = (f"{family[0]}-{partner_family[0]}", f"{family[1]}{partner_family[1]}")
        return self.person(home, culture, family, dob, twin=twin)

    @staticmethod
    def may_have_children(dob: int) -> bool:
        return dob + int((PARENT_AGES[0] + 2) * YEAR) <= LAST_DAY

    def flatmate(self, home, head_dob) -> tuple:
        culture = self.rng.choice(home.region.cultures)
        return self.person(home, culture, self.family_name(culture), self.adult_near(head_dob, 10))

    def adult_near(self, dob: int, years: int) -> int:
        """An adult's birthday within `years` of `dob`, on whichever side
        keeps them an adult born since 1925 (clamping would pile birthdays
        onto one day)."""
        offset = int(self.rng.random() * years * YEAR)
        if dob + offset <= ADULT_LATEST and (dob - offset < FIRST_DAY or self.rng.random() < 0.5):
            return dob + offset
        return dob - offset

    def family_name(self, culture: _Culture) -> tuple[str, str]:
        if self.rng.random() < culture.european_family:
            return self.rng.choice(self.pools.european.family)
        return self.rng.choice(culture.family)

    def given_names(self, culture: _Culture, male: bool) -> list:
        """(name, email part) pairs: one to three given names, sometimes
        European ones in a Māori, Pacific or Asian family."""
        rng = self.rng
        own = culture.male if male else culture.female
        european = self.pools.european.male if male else self.pools.european.female
        first = rng.choice(european if rng.random() < culture.european_given else own)
        names = [first]
        extra = rng.random()
        for _ in range(2 if extra < 0.08 else 1 if extra < 0.5 else 0):
            name = rng.choice(european if rng.random() < 0.5 else own)
            if name not in names:
                names.append(name)
        return names

    def preferred_name(self, culture: _Culture, given: list) -> str:
        rng = self.rng
        nicknames = NICKNAMES.get(given[0][0])
        if nicknames and rng.random() < PREFERRED_NICKNAME:
            return rng.choice(nicknames)
        if culture.english_preferred and rng.random() < PREFERRED_ENGLISH_NAME:
            return rng.choice(ENGLISH_NAMES_USED_BY_ASIANS)
        if len(given) > 1 and rng.random() < PREFERRED_MIDDLE_NAME:
            return given[1][0]
        return ""

    def address(self) -> str:
        rng = self.rng
        # most houses have low numbers, a few rural roads run into the thousands
        number = min(2000, 1 + int((rng.paretovariate(1.2) - 1) * 8))
        street = rng.choice(self.pools.streets)
        form = rng.random()
        if form < 0.08:
            return f"{rng.randint(1, 6)}/{number} {street}"
        if form < 0.11:
            return f"Flat {rng.randint(1, 12)}, {number} {street}"
        if form < 0.15:
            return f"{number}{rng.choice('ABC')} {street}"
        return f"{number} {street}"

    def email(self, given: list, family: tuple, dob: int) -> str:
        rng = self.rng
        g = given[0][1]
        local = rng.choice(self.email_styles).format(
            g=g, f=family[1], i=g[:1], n=1 + int(rng.random() * 99), y=self.days[dob - FIRST_DAY][2:4])
        address = f"{local}@{rng.choice(self.email_domains)}"
        shape = rng.random()
        if shape < EMAIL_SHOUTED:
            return address.upper()
        if shape < EMAIL_SHOUTED + EMAIL_CAPITALISED:
            local, domain = address.split("@")
            return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain
        return address

    def person(self, home, culture, family, dob, head=False, twin=False, unlike=None) -> tuple:
        """Write one person (and their stolen files); returns what a twin
        must share or differ in: first given name, family name, birthday.
        Twins share the household landline and differ in first given name
        from `unlike`."""
        rng = self.rng
        rand = rng.random
        phones = self.phones
        region = home.region
        self.persons += 1
        person_id = self.person_id(self.persons)
        child = dob > CHILD_BORN_AFTER
        given = self.given_names(culture, rand() < 0.5)
        while given[0][0] == unlike:
            given = self.given_names(culture, rand() < 0.5)

        written = []
        if home.landline and (twin or child or rand() < LISTS_HOUSEHOLD_LANDLINE):
            written.append(phones.write_landline(home.landline))
        mobile = None
        if not child:
            own_mobile = rand() < OWN_MOBILE_ADULT
        else:
            own_mobile = dob <= MOBILE_AGE_BORN_BY and rand() < OWN_MOBILE_TEEN
        if own_mobile:
            mobile = phones.mobile()
        elif child and home.head_mobile and rand() < PARENTS_MOBILE_CHILD:
            written.append(phones.write_mobile(home.head_mobile))
        if mobile:
            if rand() < UNPARSEABLE_PHONE:
                written.append(phones.write_unparseable(mobile, region.area))
            else:
                written.append(phones.write_mobile(mobile))
            if not child and rand() < SECOND_MOBILE:
                written.append(phones.write_mobile(phones.mobile()))
        if len(written) > 1 and rand() < 0.5:
            written.reverse()
        if head:
            home.head_mobile = mobile

        email = ""
        if child:
            if home.head_email and rand() < PARENTS_EMAIL_CHILD:
                email = home.head_email
        elif rand() < EMAIL_ADULT:
            email = self.email(given, family, dob)
        if head:
            home.head_email = email

        affected = rand() < region.affected
        practice = self.practice(region, affected)
        self.persons_csv.writerow((
            person_id,
            self.nhis.issue() if rand() < NHI_SHARE else "",
            family[0],
            " ".join([name for name, _ in given]),
            self.preferred_name(culture, given),
            "" if rand() < MISSING_DOB else self.days[dob - FIRST_DAY],
            ";".join(written),
            email,
            "" if rand() < MISSING_ADDRESS else home.address,
            "" if rand() < MISSING_SUBURB else home.suburb,
            home.city,
            "" if rand() < MISSING_POSTCODE else home.postcode,
            region.name,
            practice[0] if practice else "",
            self.codes.issue() if rand() < NOTIFICATION_CODE_SHARE else "",
        ))
        if affected:
            self.stolen_files(person_id, dob, region, practice)
        return given[0][0], family, dob

    def practice(self, region, affected: bool):
        """The enrolled practice: one the breach went through when the person
        is affected, mostly in their own region."""
        rng = self.rng
        if rng.random() < NO_PRACTICE:
            return None
        elsewhere = rng.random() < PRACTICE_ELSEWHERE
        if affected:
            return rng.choice(self.breached if elsewhere or not region.breached else region.breached)
        return rng.choice(self.practices if elsewhere or not region.practices else region.practices)

    def stolen_files(self, person_id, dob, region, practice) -> None:
        rng = self.rng
        rand = rng.random
        for _ in range(rng.choice(self.documents_per_affected)):
            self.documents += 1
            category = rng.choice(self.categories)
            document_date = ""
            if rand() >= UNDATED_DOCUMENT:
                earliest = max(dob, OLD_DOCUMENTS if rand() < OLD_DOCUMENT else RECENT_DOCUMENTS)
                document_date = self.days[earliest + int(rand() * (LAST_DAY - earliest + 1)) - FIRST_DAY]
            source = ""
            if category == "referral_letter":
                if practice and rand() < 0.85:
                    source = practice[0]
                else:
                    source = rng.choice(region.practices or self.practices)[0]
            self.documents_csv.writerow((
                self.document_id(self.documents), person_id, category, document_date, source,
                "1" if rand() < SENSITIVE else "0",
            ))


def _practices(rng: random.Random, persons: int, regions: list, pools: _Pools) -> list:
    """About one practice per 2,000 persons, shared out by population, each
    (code, name, region, breached): the breach went through most of
    Northland's practices and a third of the others. Sets each region's
    `practices` and `breached`, where a practice appears as often as its size
    so that big practices enrol more persons."""
    count = max(MIN_PRACTICES, round(persons / PERSONS_PER_PRACTICE))
    total = sum(r.population for r in regions)
    quotas = [count * r.population / total for r in regions]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(regions)), key=lambda i: quotas[i] - shares[i], reverse=True)
    for i in by_remainder[: count - sum(shares)]:
        shares[i] += 1

    names = _expand(PRACTICE_NAMES)
    used_names = set()
    listed = []
    for region, share in zip(regions, shares):
        if not share:
            continue
        breached = set(rng.sample(range(share), max(1, round(share * region.breached_share))))
        region_practices = []
        for number in range(share):
            for _ in range(PRACTICE_NAME_TRIES):
                city, suburbs = rng.choice(region.towns)
                name = rng.choice(names).format(place=rng.choice(suburbs)[0])
                if name not in used_names:
                    break
            else:
                name = rng.choice(names).format(place=rng.choice(pools.streets))
            used_names.add(name)
            practice = (f"{region.iso}{number + 1:03d}", name, region.name, number in breached)
            listed.append(practice)
            region_practices.extend([practice] * rng.choice((1, 1, 2, 2, 3, 4, 6)))
        region.practices = tuple(region_practices)
        region.breached = tuple(p for p in region_practices if p[3])
    return listed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csv_file(path: Path):
    return open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)


def write_demo_register(outdir, persons: int, seed: int = 1, register_version: str | None = None,
                        progress=None) -> dict:
    """Write the register; return the manifest dict. progress(done, total) is called now and then (may be None)."""
    if persons < 1:
        raise ValueError("a register needs at least one person")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    # A manifest left from an earlier register would vouch for half-written files.
    (outdir / "manifest.json").unlink(missing_ok=True)
    rng = _Draws(seed)
    pools = _Pools(seed)
    regions = [_Region(*row, pools.cultures) for row in REGIONS]
    practices = _practices(rng, persons, regions, pools)

    with _csv_file(outdir / "practices.csv") as f:
        writer = csv.writer(f)
        writer.writerow(PRACTICE_COLUMNS)
        writer.writerows((code, name, region) for code, name, region, _ in practices)
    with _csv_file(outdir / "persons.csv") as persons_file, _csv_file(outdir / "documents.csv") as documents_file:
        persons_csv = csv.writer(persons_file)
        documents_csv = csv.writer(documents_file)
        persons_csv.writerow(PERSON_COLUMNS)
        documents_csv.writerow(DOCUMENT_COLUMNS)
        register = _RegisterWriter(rng, pools, regions, persons_csv, documents_csv, persons)
        register.write(persons, progress)

    files = ("persons.csv", "documents.csv", "practices.csv")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "register_version": register_version or f"demo-{seed}-{persons}",
        "generated_at": now().isoformat(timespec="seconds"),
        "counts": {"persons": register.persons, "documents": register.documents, "practices": len(practices)},
        "sha256": {name: _sha256(outdir / name) for name in files},
    }
    # The manifest goes last and whole: a folder left by a crash has none,
    # and an importer refuses a register without one.
    partial = outdir / "manifest.json.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, outdir / "manifest.json")
    return manifest
