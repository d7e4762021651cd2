"""Fixed ingredients of the demo team: fictional names, colleagues, partners, subjects and places."""

from __future__ import annotations

DOMAIN = "demo-council.gov.uk"

#: The default team, in order: the team manager first, the part-time worker third.
TEAM = (
    ("Sarah", "Okafor"),
    ("Priya", "Shah"),
    ("Daniel", "Hughes"),
    ("Tom", "Whitaker"),
    ("Aisha", "Rahman"),
    ("Ben", "Clarke"),
    ("Chloe", "Evans"),
    ("Marcus", "Reid"),
    ("Hannah", "Lewis"),
    ("Kwame", "Mensah"),
    ("Laura", "Fitzgerald"),
    ("Rhys", "Morgan"),
)
MANAGER_POS = 0  # position of the team manager within each team
PART_TIME_POS = 2  # position of the part-time worker within each team
DEMO_PRACTITIONER_POS = 1  # the practitioner whose last week triggers every decline reason
SLOT_BREAKER_POS = (7, 10)  # teammates who still book catch-ups over protected mornings

FIRST_NAMES = (
    "Adam", "Alice", "Amina", "Amy", "Andrew", "Bethan", "Callum", "Caroline", "Chris", "Claire", "Connor",
    "Deborah", "Dylan", "Eleanor", "Ellie", "Farah", "Fatima", "Gemma", "George", "Harriet", "Imogen", "Isaac",
    "Jack", "James", "Jasmine", "Jessica", "Joe", "Josh", "Katie", "Kieran", "Leah", "Liam", "Lucy", "Luke",
    "Mark", "Megan", "Mohammed", "Naomi", "Nathan", "Niamh", "Oliver", "Olivia", "Owen", "Rachel", "Rebecca",
    "Ryan", "Sam", "Saima", "Sophie", "Stephen", "Tariq", "Vicky", "Yusuf", "Zara", "Zoe", "Grace", "Ewan",
    "Martha", "Dev", "Ruth",
)
LAST_NAMES = (
    "Ahmed", "Bailey", "Baker", "Bell", "Bennett", "Brooks", "Campbell", "Carter", "Chapman", "Collins", "Cook",
    "Davies", "Edwards", "Ellis", "Foster", "Graham", "Green", "Hall", "Harrison", "Hill", "Holmes", "Hussain",
    "Jackson", "James", "Jenkins", "Johnson", "Kaur", "Khan", "King", "Knight", "Lee", "Marshall", "Mason",
    "Mills", "Mitchell", "Murphy", "Newman", "Norris", "O'Brien", "Palmer", "Parker", "Patel", "Phillips",
    "Powell", "Price", "Robinson", "Rogers", "Scott", "Simpson", "Singh", "Stevens", "Taylor", "Thomas",
    "Turner", "Walker", "Ward", "Watson", "Webb", "White", "Wilson",
)

# Colleagues outside the team (organisers of much of the team's calendar).
DIRECTOR = f"amara.osei@{DOMAIN}"  # all-staff briefings
HEAD_OF_SERVICE = f"gary.whitlock@{DOMAIN}"  # Project Phoenix: keeps booking over protected mornings
PERFORMANCE_LEAD = f"fiona.grant@{DOMAIN}"  # the weekly performance clinic
QA_LEAD = f"owen.barker@{DOMAIN}"  # inspection preparation
CP_CHAIR = f"helen.marsh@{DOMAIN}"  # child protection conferences
IRO = f"david.kemp@{DOMAIN}"  # CLA reviews
MASH_MANAGER = f"nadia.begum@{DOMAIN}"  # strategy discussions
LEGAL = f"imran.qureshi@{DOMAIN}"  # court, legal gateway panel
VIRTUAL_SCHOOL = f"joanne.price@{DOMAIN}"  # PEP meetings
FGC_COORDINATOR = f"grace.adeyemi@{DOMAIN}"  # family group conferences
LEARNING = f"learning.development@{DOMAIN}"  # training
PRINCIPAL_SW = f"rachel.doyle@{DOMAIN}"
BUSINESS_SUPPORT = f"mandy.shaw@{DOMAIN}"

HEALTH = tuple(f"{n}@demo-health.nhs.uk" for n in (
    "emma.wood", "jo.fraser", "kate.ingram", "sunita.mistry", "paul.nolan", "lisa.hart"))
POLICE = tuple(f"{n}@demo-police.police.uk" for n in (
    "dc.steve.harris", "ds.anna.kowalski", "pc.lee.dawson", "dc.ruth.maguire"))
SCHOOLS = tuple(f"{n}@demo-academy.sch.uk" for n in (
    "dsl.brookfield", "dsl.st-marys", "senco.hillside", "head.oakwood", "dsl.riverside"))
PARTNERS = HEALTH + POLICE + SCHOOLS

CHILD_INITIALS = "ABCDEFGHJKLMNPRSTW"

VISITS = (  # (template, weight); {c} a child's initials, {f} a family's initial
    ("HV - {c}", 6),
    ("Home visit - {f} family", 3),
    ("Direct work session - {c}", 3),
    ("Life story work - {c}", 1),
    ("Direct work: wishes and feelings - {c}", 1),
    ("Joint home visit - {f} family", 1),
)
VISIT_PLACES = ("Family home", "Family home", "School", "Foster placement", "Contact centre")
OFFICE_ROOMS = ("Civic Centre, Room 2.14", "Civic Centre, Room 3.02", "Civic Centre, Conference Room 1")
TEAMS_ONLINE = "Microsoft Teams Meeting"
COURT = "Demo Family Court"

RECORDING = ("Recording - case notes", "Case notes - {c}", "Recording: assessment write-up - {c}",
             "Recording - chronology update")
TRAINING = ("Training: Signs of Safety refresher", "Training - trauma-informed practice",
            "Training: court skills", "Training: Mind of My Own app")
VAGUE = ("Catch up", "Quick sync", "Catch-up", "Quick chat", "Sync")
COURT_HEARINGS = ("directions hearing", "final hearing", "case management hearing")
