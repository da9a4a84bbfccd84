"""Word lists of the heuristic extractor: the vocabulary its features weigh.

Each list is a *class* of evidence (an imperative verb, a word of operating a system,
a word of cooking), not a list of known texts: the scores in `features` weigh how much
of each class a text holds.
"""

from __future__ import annotations

import re


def _w(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` as a set."""
    return frozenset(text.split())


# Verbs that open an instruction (imperative mood), on a system or elsewhere.
ACTION_VERBS = _w(
    """
    open click tap select choose pick enter type input fill press hit go navigate
    sign log toggle switch turn enable disable scroll upload download run install
    uninstall configure set change update save submit confirm create add remove
    delete edit rename copy paste drag drop launch start restart reboot reset
    connect disconnect plug unplug insert wait visit find locate search browse check
    uncheck tick untick mark follow accept agree review verify close exit quit
    expand collapse hover attach send share export import print scan sync pair allow
    grant apply cancel request pay book schedule provide specify name write use
    place put hold release reconnect refresh reload clear empty backup restore
    upgrade activate deactivate register subscribe unsubscribe swipe pull push flip
    lift replace keep note record take return right-click double-click long-press
    reinstall re-enter retype power log-in sign-in login logout signin enroll link
    unlink assign invite approve reject archive unarchive mount unmount format
    partition compile execute deploy clone commit merge tap-and-hold disable hide
    show pin unpin mute unmute block unblock report dial call text reply forward
    transfer withdraw deposit redeem claim order purchase buy checkout track
    authorize authenticate generate copy-paste highlight zoom rotate crop resize
    position adjust calibrate test try look make ensure touch get head hop slide unlock
    lock wake boot complete answer read give leave contact bring pull double-tap key
    punch fire navigate browse opt re-open reopen re-run rerun duplicate refine sort
    filter group ungroup split move tag label star flag join undo redo freeze unfreeze
    unhide customize personalize setup signup reply-all bookmark favorite
    """
)

# Imperative verbs of procedures that are not tool use (they count as instructions for
# relevance, never as steps of a toolkit).
OTHER_VERBS = _w(
    """
    preheat grease mash whisk stir bake mix pour chop dice mince knead simmer boil
    fry season sprinkle marinate roast grill slice peel melt combine beat fold
    spread serve cool let dissolve punch shape cast knit purl bind weave block sew
    cut glue stitch thread warm do hold stretch jog breathe rest repeat lie sit
    stand squat lunge raise lower water plant dig prune feed fill cover blot sponge
    rinse scrub wipe soak vacuum dry apply cool call pack book buy try visit keep
    choose avoid bring walk
    """
)

# Verbs of steps outside any system: the user's hands on a physical object.
PHYSICAL_VERBS = _w(
    """
    unplug plug wait insert place put grab lift flip unscrew screw
    """
)

# Phrases that open a precondition rather than an action.
RULE_OPENERS = re.compile(
    r"^(make sure|ensure|be sure|check that|verify that|confirm that|note that|remember)\b", re.I
)

# Words of operating an app, a website, a computer or a machine.
UI_WORDS = _w(
    """
    click clicks clicking tap taps tapping button buttons tab tabs menu menus
    dropdown drop-down checkbox toggle slider icon icons screen screens dialog
    window windows toolbar sidebar panel dashboard settings preferences app apps
    application website site browser url link page portal account login password
    username sign log upload download install uninstall configure configuration
    router modem printer device devices computer laptop pc mac phone smartphone
    tablet iphone android ios windows macos linux terminal command commands console
    keyboard mouse wi-fi wifi network bluetooth file files folder folders directory
    email inbox field fields form profile admin administrator server firmware
    software update updates reboot restart cache browser's app's option options
    checkout cart tv remote thermostat camera kiosk atm scanner usb cable drive disk
    storage cloud backup sync notification notifications display monitor ethernet ip
    dns vpn wallet bank online web e-mail enter press type select scroll swipe ctrl
    alt shift esc f12 cmd tabbed login-page homepage gui interface controller
    console system os program software's submit save
    """
)

# Words of procedures that are not tool use, by the kind of text they mark.
NON_TOOL_WORDS: dict[str, frozenset[str]] = {
    "a recipe": _w(
        """
        preheat oven whisk bake baking cups cup tablespoon tablespoons teaspoon
        teaspoons tbsp tsp flour sugar butter simmer stir boil saute sauté fry chop
        dice mince ingredients dough knead batter garlic onion salt pepper skillet
        pan saucepan bowl serve serving servings marinate roast grill sprinkle oz
        grams tender golden drizzle recipe eggs egg cream cheese vanilla yeast
        coffee tea brew ground dripper kettle
        """
    ),
    "a craft": _w(
        """
        knit knitting purl stitch stitches yarn crochet sew sewing needle thread
        fabric glue scissors paper fold folding origami bead beads embroidery hem
        seam quilt paint brush canvas cardboard
        """
    ),
    "a workout": _w(
        """
        reps rep sets squat squats push-up push-ups pushups lunge lunges plank
        stretch stretching muscles muscle breathe inhale exhale warm-up workout
        exercise exercises knees hips shoulders core cardio jog jogging dumbbell
        dumbbells yoga pose
        """
    ),
    "gardening advice": _w(
        """
        soil seeds seed seedlings plant plants planting water watering prune pruning
        compost fertilizer mulch garden gardening roots pot pots sunlight leaves
        bloom weeds
        """
    ),
    "first aid": _w(
        """
        wound bleeding bandage cpr injury injured pressure burn burns victim
        ambulance gauze splint breathing pulse chest compressions
        """
    ),
    "cleaning instructions": _w(
        """
        scrub vinegar sponge stain stains rinse wipe bleach detergent mop vacuum
        dust grout soak microfiber
        """
    ),
    "a repair or assembly job": _w(
        """
        engine battery clamp clamps lug nuts jack tire tires wrench screwdriver screws
        screw dowels dowel bracket drill hammer nails nail bolt bolts shelf shelves
        assembly furniture hinge hinges allen bumper hood brake brakes oil pipe pipes
        faucet leak valve plank boards glue sandpaper
        """
    ),
    "travel tips": _w(
        """
        passport luggage suitcase hotel hotels flight flights itinerary airport
        sightseeing packing pack visa trip destination tourists
        """
    ),
}

# Words of text that tells or judges rather than instructs.
NARRATIVE_WORDS = _w(
    """
    said says announced reported according released launched yesterday today week
    million billion company companies ceo percent analysts review rating stars pros
    cons verdict love loved liked think felt believe opinion story once upon he she
    they was were had been quarter revenue market users experts research study
    """
)

# Nouns of UI elements: dropped from tool names ("the Save button" -> save).
UI_NOUNS = _w(
    """
    button buttons tab tabs menu menus link links icon icons option options field
    fields box checkbox dropdown drop-down page screen window dialog panel section
    item entry toggle switch slider bar list key
    """
)

# Words dropped from the start of an object phrase.
FILLERS = _w(
    """
    the a an your you my our their this that these those its his her desired
    preferred appropriate relevant correct same any some on in at to from into onto
    of for with new digit digits character characters letter letters
    youd youll youre youve id ill im we weve were they theyre them it its itll she he him
    also each every all are is was be been just few and or instead
    """
)

# Verbs whose object names a value the user supplies (a field being filled).
ENTRY_VERBS = _w(
    """
    enter type input fill provide specify write paste re-enter retype name rename
    set change update add search
    """
)

# Verbs whose object is a choice.
CHOICE_VERBS = _w(
    """
    select choose pick
    """
)

# Field words mapped to a canonical parameter name.
FIELD_NAMES: list[tuple[str, str]] = [
    ("email address", "email"),
    ("e-mail address", "email"),
    ("e-mail", "email"),
    ("email", "email"),
    ("phone number", "phone_number"),
    ("mobile number", "phone_number"),
    ("user name", "username"),
    ("username", "username"),
    ("user id", "username"),
    ("login", "username"),
    ("zip code", "zip_code"),
    ("postal code", "zip_code"),
    ("verification code", "verification_code"),
    ("security code", "verification_code"),
    ("confirmation code", "verification_code"),
    ("one-time code", "verification_code"),
    ("passcode", "passcode"),
    ("pin", "pin"),
]

# Domains and platforms, each with the words that mark it (the most hits wins).
DOMAINS: list[tuple[str, frozenset[str]]] = [
    ("networking", _w("router wi-fi wifi modem network ssid dns ip ethernet vpn")),
    ("e-commerce", _w("order orders cart checkout refund return shipping store")),
    ("banking", _w("bank transfer payment payee account balance card deposit")),
    ("IT", _w("install software update terminal command server admin driver")),
    ("email", _w("email inbox message mail outlook gmail folder")),
    ("social media", _w("post profile followers instagram facebook twitter feed")),
    ("smart home", _w("thermostat camera alexa smart bulb hub")),
    ("printing", _w("printer print cartridge toner scan scanner")),
    ("health", _w("appointment doctor clinic patient prescription pharmacy")),
    ("travel", _w("booking flight reservation hotel check-in boarding")),
    ("productivity", _w("document spreadsheet calendar meeting file slide")),
]

PLATFORMS: list[tuple[str, frozenset[str]]] = [
    ("router", _w("router modem")),
    ("printer", _w("printer")),
    ("command line", _w("terminal command prompt shell powershell bash cli npm pip sudo git")),
    ("mobile app", _w("app tap iphone android phone swipe")),
    ("website", _w("website site browser url page portal online")),
    ("desktop computer", _w("windows mac macos pc computer desktop laptop")),
    ("smart TV", _w("tv remote")),
    ("machine", _w("machine device kiosk atm")),
]

# Words left out of task tags.
TAG_STOP = _w("a an the your my to on in for with of and this that get done")

# Verbs that make a later sentence of a list item a step of its own ("Open Settings.
# Tap Wi-Fi."), unlike explanations ("Look for the gear icon.").
STRONG_VERBS = _w(
    """
    click tap select choose enter type press open toggle save submit confirm go
    navigate scroll uncheck tick swipe drag upload download install run restart
    reboot insert plug unplug wait hit
    """
) | {"log in", "sign in", "turn on", "turn off", "switch on", "switch off"}

# Words of parameters (synth.heuristic.params): number words, nouns of fields that
# take a value, units after a number, credentials a sign-in step names.
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
}
VALUE_NOUNS = frozenset(
    [
        "password",
        "passcode",
        "pin",
        "name",
        "username",
        "email",
        "address",
        "number",
        "phone",
        "code",
        "title",
        "description",
        "note",
        "comment",
        "message",
        "subject",
        "label",
        "tag",
        "nickname",
        "amount",
        "date",
        "time",
        "url",
        "ssid",
        "key",
        "passphrase",
        "bio",
        "caption",
        "text",
        "query",
        "answer",
        "reference",
        "reason",
        "quantity",
        "price",
        "day",
        "weekday",
        "surname",
        "names",
        "colour",
        "color",
        "size",
    ]
)
UNITS = frozenset(
    [
        "minutes",
        "minute",
        "seconds",
        "second",
        "hours",
        "hour",
        "days",
        "day",
        "gb",
        "mb",
        "kb",
        "%",
        "percent",
    ]
)
CREDENTIALS = ("email", "username", "password", "passcode", "pin", "token")
