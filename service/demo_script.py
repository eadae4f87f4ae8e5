"""What the people in `consulta demo` write: the Troika's and the focal points' emails, in Spanish
and English, and the PPT's revised text. Fictitious people on the default roster's addresses."""

from dataclasses import dataclass
from typing import Literal

Client = Literal["outlook", "gmail", "apple", "autoreply"]
Expected = Literal["approve", "amend", "object", "auto_reply"]


@dataclass(frozen=True)
class Writer:
    address: str  # as in the default roster
    name: str
    signature: str  # the lines under the name
    language: Literal["es", "en"]
    client: Client  # how their mail program replies (quoting, subject prefix, headers)


@dataclass(frozen=True)
class Email:
    """One reply to the message that ``writer`` received for the version being consulted."""

    country: str
    writer: Writer
    text: str
    expected: Expected  # what the service should read in it
    revised_paragraph: tuple[int, str] | None = None  # edited in the attached .docx (tracked)
    note_verbale: str | None = None  # a scanned note shipped with the service, attached


def _fp(country: str) -> str:
    return f"puntofocal@cancilleria.{country.lower()}.example"


WRITERS = {
    "troika:MX": Writer(
        "troika@cancilleria.mx.example",
        "Rodrigo Salinas Cárdenas",
        "Dirección General de Protección Consular\nSecretaría de Relaciones Exteriores de México",
        "es",
        "gmail",
    ),
    "troika:DO": Writer(
        "troika@cancilleria.do.example",
        "Carolina Peña Almonte",
        "Viceministerio de Asuntos Consulares y Migratorios\nMinisterio de Relaciones Exteriores "
        "de la República Dominicana",
        "es",
        "outlook",
    ),
    "troika:PA": Writer(
        "troika@cancilleria.pa.example",
        "Itzel Batista Quintero",
        "Dirección de Política Exterior\nMinisterio de Relaciones Exteriores de Panamá",
        "es",
        "outlook",
    ),
    "MX": Writer(
        _fp("MX"),
        "Lucía Ortega Ramírez",
        "Punto Focal de México ante la CRM\nSecretaría de Relaciones Exteriores",
        "es",
        "gmail",
    ),
    "CA": Writer(
        _fp("CA"),
        "Jennifer Tremblay",
        "Migration Policy Division\nGlobal Affairs Canada",
        "en",
        "outlook",
    ),
    "GT": Writer(
        _fp("GT"),
        "Ana Lucía Morales",
        "Dirección de Asuntos Migratorios\nMinisterio de Relaciones Exteriores de Guatemala",
        "es",
        "outlook",
    ),
    "US": Writer(
        _fp("US"),
        "Michael T. Brennan",
        "Office of International Migration\nU.S. Department of State",
        "en",
        "autoreply",
    ),
    "US-alternate": Writer(
        "migracion@interior.us.example",
        "Sarah K. Whitfield",
        "Office of International Migration\nU.S. Department of State",
        "en",
        "outlook",
    ),
    "NI": Writer(
        _fp("NI"),
        "Mario José Espinoza",
        "Dirección General de Migración y Extranjería\nMinisterio de Relaciones Exteriores de "
        "Nicaragua",
        "es",
        "outlook",
    ),
    "HN": Writer(
        _fp("HN"),
        "Karla Zelaya Funes",
        "Dirección de Protección al Migrante\nSecretaría de Relaciones Exteriores de Honduras",
        "es",
        "gmail",
    ),
    "CR": Writer(
        _fp("CR"),
        "Laura Vargas Solís",
        "Dirección de Política Exterior\nMinisterio de Relaciones Exteriores y Culto de Costa Rica",
        "es",
        "gmail",
    ),
    "BZ": Writer(
        _fp("BZ"),
        "Dwayne Castillo",
        "Immigration and Nationality Department\nMinistry of Foreign Affairs of Belize",
        "en",
        "apple",
    ),
    "PA": Writer(
        _fp("PA"),
        "Gabriel Castillero",
        "Dirección de Asuntos Migratorios\nMinisterio de Relaciones Exteriores de Panamá",
        "es",
        "outlook",
    ),
    "SV": Writer(
        _fp("SV"),
        "Rebeca Alvarado Mejía",
        "Dirección General de Vinculación con Salvadoreños en el Exterior\nMinisterio de "
        "Relaciones Exteriores de El Salvador",
        "es",
        "gmail",
    ),
    "DO": Writer(
        _fp("DO"),
        "José Miguel Reyes",
        "Dirección de Asuntos Migratorios\nMinisterio de Relaciones Exteriores de la República "
        "Dominicana",
        "es",
        "outlook",
    ),
}

# The Troika's answers to the draft, by email (the seats without Slack answer so).
TROIKA = [
    Email(
        "MX",
        WRITERS["troika:MX"],
        "México está de acuerdo con el proyecto y aprueba su circulación a los Estados miembros.",
        "approve",
    ),
    Email(
        "DO",
        WRITERS["troika:DO"],
        "República Dominicana aprueba el proyecto sin comentarios.",
        "approve",
    ),
    Email(
        "PA",
        WRITERS["troika:PA"],
        "Panamá aprueba el texto. Sin comentarios adicionales.",
        "approve",
    ),
]

GT_PARAGRAPH_2 = (
    "Los países miembros acuerdan intercambiar, por medio de sus puntos focales, información "
    "sobre rutas, perfiles y necesidades de protección de las personas migrantes "
    "extracontinentales, en un plazo de diez días hábiles desde cada solicitud."
)
GT_PARAGRAPH_2_EN = (
    "Member countries agree to exchange, through their focal points, information on routes, "
    "profiles and protection needs of extra-continental migrants, within ten business days of "
    "each request."
)
HN_PARAGRAPH_3 = (
    "La Secretaría Técnica elaborará, con el apoyo de la OIM, el ACNUR y el UNFPA, un informe "
    "anual sobre estos flujos, con datos desagregados por sexo y edad, que se presentará en la "
    "reunión del Grupo Regional de Consulta sobre Migración (GRCM)."
)
HN_PARAGRAPH_3_EN = (
    "The Technical Secretariat will prepare, with the support of IOM, UNHCR and UNFPA, an annual "
    "report on these flows, with data disaggregated by sex and age, to be presented at the "
    "meeting of the Regional Consultation Group on Migration (RCGM)."
)
REVISION_NOTE = (
    "Se incorporan las propuestas de Guatemala (párrafo 2: plazo de diez días hábiles) y de "
    "Honduras (párrafo 3). / Guatemala's proposal (paragraph 2: ten business days) and "
    "Honduras's (paragraph 3) are incorporated."
)

# Version 1: approvals, two sets of amendments (inline, and in the attached Word document with
# Track Changes), one objection, one out-of-office.
FIRST_ROUND = [
    Email(
        "MX",
        WRITERS["MX"],
        "Estimada Presidencia Pro Tempore:\n\nMéxico se suma al consenso sobre el proyecto. "
        "No tenemos comentarios adicionales.",
        "approve",
    ),
    Email(
        "CA",
        WRITERS["CA"],
        "Dear Pro-Tempore Presidency,\n\nCanada supports the draft as circulated and has no "
        "further comments.",
        "approve",
    ),
    Email(
        "GT",
        WRITERS["GT"],
        "Estimados señores:\n\nGuatemala agradece la iniciativa y propone la siguiente "
        "modificación:\n\nEl párrafo 2 debería decir: «" + GT_PARAGRAPH_2 + "»\n\n"
        "Cinco días hábiles no bastan para reunir la información de las autoridades "
        "migratorias y consulares.",
        "amend",
    ),
    Email(
        "US",
        WRITERS["US"],
        "I am out of the office with limited access to email until next week. For matters "
        "related to the Regional Conference on Migration, please contact "
        "migracion@interior.us.example.",
        "auto_reply",
    ),
    Email(
        "NI",
        WRITERS["NI"],
        "Estimada Presidencia Pro Tempore:\n\nNicaragua no puede aprobar el proyecto en su "
        "forma actual. El plazo de cinco días hábiles previsto en el párrafo 2 no es viable "
        "para nuestras instituciones, por lo que objetamos el texto.",
        "object",
    ),
    Email(
        "HN",
        WRITERS["HN"],
        "Buenas tardes:\n\nHonduras propone cambios al párrafo 3, que van con control de "
        "cambios en el documento adjunto.",
        "amend",
        revised_paragraph=(3, HN_PARAGRAPH_3),
    ),
    Email(
        "CR",
        WRITERS["CR"],
        "Estimados:\n\nCosta Rica no tiene objeciones al texto y lo aprueba.",
        "approve",
    ),
    Email(
        "BZ",
        WRITERS["BZ"],
        "Dear colleagues,\n\nBelize concurs with the draft and approves it.",
        "approve",
    ),
]

# Version 2, after the revision: every member but El Salvador answers, the objector included.
SECOND_ROUND = [
    Email(
        "GT",
        WRITERS["GT"],
        "Guatemala agradece la incorporación de su propuesta y aprueba la versión revisada.",
        "approve",
    ),
    Email(
        "NI",
        WRITERS["NI"],
        "Estimada Presidencia Pro Tempore:\n\nAmpliado el plazo a diez días hábiles, Nicaragua "
        "retira su objeción y aprueba el texto revisado.",
        "approve",
    ),
    Email(
        "US",
        WRITERS["US-alternate"],
        "Dear Pro-Tempore Presidency,\n\nOn behalf of my colleague, who is away, the United "
        "States approves the revised text.",
        "approve",
    ),
    Email("HN", WRITERS["HN"], "Honduras aprueba la versión revisada. Gracias.", "approve"),
    Email("MX", WRITERS["MX"], "México aprueba el texto revisado.", "approve"),
    Email("CA", WRITERS["CA"], "Canada approves the revised text.", "approve"),
    Email("CR", WRITERS["CR"], "Costa Rica aprueba la nueva versión.", "approve"),
    Email("BZ", WRITERS["BZ"], "Belize approves the revised draft.", "approve"),
    # A scanned, stamped note verbale: read by OCR, it counts because the email says the same.
    Email(
        "PA",
        WRITERS["PA"],
        "Estimada Presidencia Pro Tempore:\n\nPanamá aprueba el texto revisado. Se adjunta la "
        "nota verbal DAM/MIRE/2026/0552 con la posición oficial.",
        "approve",
        note_verbale="demo_nota_verbal_PA.pdf",
    ),
    Email(
        "DO",
        WRITERS["DO"],
        "República Dominicana aprueba la versión revisada.",
        "approve",
    ),
]
# El Salvador answers only when the scheduler reminds it, a business day before the deadline.
AFTER_REMINDER = [
    Email(
        "SV",
        WRITERS["SV"],
        "Estimados:\n\nDisculpen la demora. El Salvador está de acuerdo con el texto revisado y "
        "lo aprueba.",
        "approve",
    ),
]
