"""The contact-topic categories of MLL's Parents' Helpline, from its statistics (source 000, 2022).

(about, (fi, sv, en), [sub-topics as (fi, sv, en)]). Used by the data migration that seeds the
categories; admins edit them in the database afterwards.
"""

TREE = [
    ("child", ("Kehitysvaiheet", "Utvecklingsskeden", "Developmental stages"), [
        ("0–6-vuotiaiden kehitys ja temperamentti", "0–6-åringars utveckling och temperament", "Development and temperament of 0–6-year-olds"),
        ("Rajojen asettaminen", "Att sätta gränser", "Setting limits"),
        ("Syöminen ja nukkuminen", "Mat och sömn", "Eating and sleeping"),
        ("Murrosiän kuohunta ja rajojen testaaminen", "Puberteten och att testa gränser", "Puberty and testing limits"),
    ]),
    ("child", ("Koulu ja varhaiskasvatus", "Skola och småbarnspedagogik", "School and early education"), [
        ("Keskittymis- ja käyttäytymisvaikeudet", "Koncentrations- och beteendesvårigheter", "Concentration and behaviour difficulties"),
        ("Lintsaaminen", "Skolk", "Skipping school"),
        ("Läksyt ja opiskelu", "Läxor och studier", "Homework and studying"),
        ("Oppimisvaikeudet", "Inlärningssvårigheter", "Learning difficulties"),
        ("Yhteistyö varhaiskasvatuksen ja koulun henkilökunnan kanssa", "Samarbete med personalen i småbarnspedagogiken och skolan", "Cooperation with early education and school staff"),
    ]),
    ("child", ("Arjen haasteet", "Vardagens utmaningar", "Everyday challenges"), [
        ("Rajojen kokeilu ja kodin pelisäännöt", "Att testa gränser och hemmets regler", "Testing limits and house rules"),
        ("Harrastukset ja niiden ulkopuolelle jääminen", "Fritidsintressen och att bli utanför", "Hobbies and being left out of them"),
        ("Nuoren itsenäistyminen ja aikuistuminen", "Den ungas självständighet och vuxenblivande", "A young person growing independent"),
    ]),
    ("child", ("Ihmissuhteet", "Relationer", "Relationships"), [
        ("Vanhempien erilaiset kasvatusnäkemykset ja aikuisten ristiriitojen vaikutus lapsiin", "Föräldrarnas olika syn på fostran och hur vuxnas konflikter påverkar barnen", "Parents' differing views and the effect of adults' conflicts on children"),
        ("Vertaissuhteet ja niiden haasteet", "Kamratrelationer och deras utmaningar", "Peer relations and their challenges"),
        ("Lapsen yksinäisyys", "Barnets ensamhet", "The child's loneliness"),
        ("Uusperheen tuomat muutokset", "Förändringar i en ombildad familj", "Changes a blended family brings"),
        ("Huoli lapsen oloista toisen vanhemman luona", "Oro för barnets förhållanden hos den andra föräldern", "Worry about the child at the other parent's home"),
    ]),
    ("child", ("Psyykkinen terveys", "Psykisk hälsa", "Mental health"), [
        ("Nuoren masentunut mieliala tai ahdistuneisuus", "Den ungas nedstämdhet eller ångest", "A young person's low mood or anxiety"),
        ("Nuoren päihteiden käyttö", "Den ungas rusmedelsbruk", "A young person's substance use"),
        ("Pienen lapsen jatkuva ärtyneisyys", "Ett litet barns ständiga irritation", "A small child's constant irritability"),
        ("Väkivaltainen käytös", "Våldsamt beteende", "Violent behaviour"),
    ]),
    ("adult", ("Vanhemmuuden pohdinta", "Att reflektera över föräldraskapet", "Reflecting on parenthood"), [
        ("Riittämättömyyden ja syyllisyyden tunteet", "Känslor av otillräcklighet och skuld", "Feelings of inadequacy and guilt"),
        ("Yksinäisyyden tunteet vanhemmuudessa ja arjessa", "Ensamhet i föräldraskapet och vardagen", "Loneliness in parenthood and everyday life"),
        ("Odotukset omalle vanhemmuudelle", "Förväntningar på det egna föräldraskapet", "Expectations of one's own parenthood"),
    ]),
    ("adult", ("Ihmissuhteet", "Relationer", "Relationships"), [
        ("Aikuisten väliset ristiriidat", "Konflikter mellan vuxna", "Conflicts between adults"),
        ("Vanhempien ero", "Föräldrarnas skilsmässa", "Separation of the parents"),
        ("Uusperheen haasteet", "Utmaningar i en ombildad familj", "Challenges of a blended family"),
        ("Sisarussuhteet", "Syskonrelationer", "Sibling relationships"),
    ]),
    ("adult", ("Arjen haasteet ja rajojen asettaminen", "Vardagens utmaningar och att sätta gränser", "Everyday challenges and limits"), [
        ("Kasvatuksen haasteet lapsen kasvuun ja kehitysvaiheisiin liittyen", "Fostringsutmaningar kring barnets utveckling", "Upbringing challenges in the child's growth and stages"),
        ("Rajojen asettaminen ja niiden noudattaminen", "Att sätta gränser och hålla dem", "Setting limits and keeping to them"),
        ("Kodin pelisäännöt", "Hemmets regler", "House rules"),
        ("Arjen pyörittämisestä koituva väsymys", "Trötthet av att få vardagen att gå ihop", "Exhaustion from running everyday life"),
        ("Taloudelliset pulmat", "Ekonomiska bekymmer", "Money worries"),
    ]),
    ("adult", ("Psyykkinen terveys", "Psykisk hälsa", "Mental health"), [
        ("Vanhemman tai perheen toisen aikuisen mielenterveyden haasteet", "Psykiska utmaningar hos föräldern eller en annan vuxen i familjen", "Mental health challenges of the parent or another adult"),
        ("Masennus, ahdistus ja uupumus", "Depression, ångest och utmattning", "Depression, anxiety and burnout"),
        ("Oma tai puolison stressi", "Egen eller partnerns stress", "One's own or the partner's stress"),
        ("Oma tai puolison päihteiden käyttö", "Eget eller partnerns rusmedelsbruk", "One's own or the partner's substance use"),
    ]),
]


def seed(Topic) -> None:
    """Create the tree (idempotent). Takes the model class so a migration can pass its historical one."""
    for main_order, (about, names, subs) in enumerate(TREE):
        main, _ = Topic.objects.get_or_create(
            about=about, parent=None, name_fi=names[0], defaults={"name_sv": names[1], "name_en": names[2], "ordering": main_order}
        )
        for sub_order, (fi, sv, en) in enumerate(subs):
            Topic.objects.get_or_create(
                about=about, parent=main, name_fi=fi, defaults={"name_sv": sv, "name_en": en, "ordering": sub_order}
            )
