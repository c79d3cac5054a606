"""Course texts of the demo scenario, written for this platform: the sellers' export-readiness
course and the lecturers' course on teaching cross-border e-commerce.

Each course is a list of modules: (title, [lessons], quiz). A lesson is (title, minutes,
Markdown); a quiz is (title, pass mark, attempts, [(question, kind, [(choice, correct)],
explanation)]). Rates in the examples are labelled as examples: the real ones are on the
platform's trade-rules pages, dated and sourced.
"""

# ruff: noqa: RUF001  (prose: the multiplication and minus signs are meant)
from __future__ import annotations

from typing import Any

S = "single"
M = "multiple"

EXPORT_READINESS: list[tuple[str, list[tuple[str, int, str]], Any]] = [
    (
        "Classifying your product: HS codes",
        [
            (
                "What an HS code is",
                12,
                """
Every product that crosses a border is described by a number from the **Harmonized
Commodity Description and Coding System** (the *HS*), kept by the World Customs Organization
and used by more than 200 countries. The same first six digits mean the same product in Kigali,
Liège and Hangzhou; this is what lets a customs officer, a freight forwarder and a buyer's tax
system agree on what is in your parcel.

The six digits are built in three steps:

| digits | level | example: roasted coffee |
|---|---|---|
| 09 | chapter | coffee, tea, maté and spices |
| 09 01 | heading | coffee, whether or not roasted or decaffeinated |
| 0901 21 | subheading | roasted, not decaffeinated |

Countries add their own digits after the first six: the European Union uses eight (the
Combined Nomenclature) and ten for its tariff (TARIC), China uses ten, and the East African
Community's Common External Tariff uses eight. The first six never change from one country to
another; the extra digits do, so always check the national code of the destination.

Some codes for products sold on this platform (HS 2022):

* green coffee, not decaffeinated: **0901 11**; roasted, not decaffeinated: **0901 21**
* black tea in packs of 3 kg or less: **0902 30**
* baskets of sisal or sweetgrass (vegetable plaiting materials other than bamboo or rattan):
  **4602 19**
* dried chili (fruits of the genus *Capsicum*), neither crushed nor ground: **0904 21**;
  crushed or ground: **0904 22**
""",
            ),
            (
                "Finding the right code, and why it matters",
                12,
                """
The code decides **the duty you pay**, whether a **trade preference** applies, which
**licences or certificates** are needed, and what the statistics say about your trade. A
wrong code is not a small mistake: the goods can be held, you can be asked to pay the
difference with a penalty, and a preference you were counting on can be refused.

How to find it:

1. Describe the product the way customs will look at it: what it is made of, how it is
   processed, what it is for. "Coffee" is not enough; "roasted arabica beans, not
   decaffeinated, in 250 g bags" is.
2. Read the section and chapter notes first. They are legally binding and often settle the
   question (for example, a note may exclude mixtures from a heading).
3. Apply the **General Rules of Interpretation** in order: rule 1 (the terms of the headings
   and the notes) solves most cases; rules 2 to 6 deal with unfinished goods, mixtures, sets
   and the choice between subheadings.
4. Search the trade-rules pages of this platform by keyword, then check the national tariff of
   the destination for the full code.
5. When in doubt, ask the customs administration for an **advance ruling**: a written,
   binding decision on the classification of your product. Rwanda Revenue Authority issues
   them, and so do the EU member states (a *Binding Tariff Information*).

Keep the code on your product listing: the platform uses it for every landed-cost quote and
prints it on the invoice and the declarations.
""",
            ),
        ],
        (
            "Quiz: HS codes",
            70,
            3,
            [
                (
                    "How many digits of an HS code are the same in every country that uses it?",
                    S,
                    [("Four", False), ("Six", True), ("Eight", False), ("Ten", False)],
                    "The first six digits are international; countries add their own after them.",
                ),
                (
                    "Which code fits roasted arabica beans, not decaffeinated?",
                    S,
                    [("0901 11", False), ("0901 21", True), ("0902 30", False), ("2101 11", False)],
                    "0901 21 is roasted, not decaffeinated; 0901 11 is not roasted.",
                ),
                (
                    "What does the HS code of a product decide? Choose every correct answer.",
                    M,
                    [
                        ("The duty rate", True),
                        ("Whether a trade preference can apply", True),
                        ("The price the seller must charge", False),
                        ("Which certificates or licences are needed", True),
                    ],
                    "The code drives duty, preferences and controls; the price is the seller's.",
                ),
                (
                    "You are not sure of the code. What gives you a binding answer?",
                    S,
                    [
                        ("The code a competitor uses", False),
                        ("An advance ruling from the customs administration", True),
                        ("The code suggested by the courier", False),
                    ],
                    "An advance ruling (in the EU: Binding Tariff Information) binds customs.",
                ),
            ],
        ),
    ),
    (
        "Landed cost: what the buyer really pays",
        [
            (
                "The parts of a landed cost",
                14,
                """
A buyer abroad does not compare your price with the price of a local product: they compare
what **arrives at their door**, all costs paid. That total is the *landed cost*:

* the **product price** and the export packaging;
* **international freight** and **insurance** to the destination;
* **customs duty**, a percentage of the *customs value* (in the EU and in China the customs
  value includes freight and insurance to the border, the *CIF* value; the United States uses
  the value without international freight, the *FOB* value);
* **import VAT** or sales tax, usually charged on the customs value **plus** the duty;
* **excise** on some goods (alcohol, tobacco, some sugary drinks);
* **clearance fees** of the customs broker or courier, and the **last-mile delivery**;
* payment and platform fees, and the cost of converting currency.

Who pays which part is fixed by the **Incoterm** of the sale. Under *EXW* (ex works) the buyer
arranges everything from your door; under *DAP* (delivered at place) you pay transport but the
buyer pays duties and taxes on arrival; under *DDP* (delivered duty paid) you pay everything.
Online buyers increasingly expect DDP: a surprise bill from the courier at the door is the
most common reason for a refused parcel. This platform quotes and collects DDP prices, so the
buyer sees one number before paying.
""",
            ),
            (
                "A worked example: one kilo of coffee to Belgium",
                15,
                """
Take one 1 kg bag of roasted coffee (0901 21) sold to a buyer in Brussels. The rates below
are **examples for the arithmetic**: look up the real, dated rates on the trade-rules pages.

| line | amount |
|---|---|
| product price | EUR 12.00 |
| air freight to Liège | EUR 6.00 |
| insurance | EUR 0.20 |
| **customs value (CIF)** | **EUR 18.20** |
| duty at 7.5 % of 18.20 | EUR 1.37 |
| VAT base: 18.20 + 1.37 | EUR 19.57 |
| VAT at 21 % of 19.57 | EUR 4.11 |
| clearance fee | EUR 2.00 |
| **landed cost** | **EUR 25.68** |

Now the same parcel **with a trade preference**. Rwanda is a least developed country and its
goods enter the EU free of duty under *Everything But Arms*, **if** the exporter proves the
origin (a statement on origin by an exporter registered in the EU's REX system). The duty line
becomes zero, the VAT base falls to 18.20 and the VAT to EUR 3.82:

18.20 + 0.00 + 3.82 + 2.00 = **EUR 24.02**.

Proving origin saved EUR 1.66 on a EUR 25 parcel, about 6.5 %: often the whole difference
between you and a competitor. Note the rounding: each tax is rounded to the cent once, where the
rules say, and never in between.
""",
            ),
        ],
        (
            "Quiz: landed cost",
            70,
            3,
            [
                (
                    "Under which Incoterm does the seller pay the import duties and taxes?",
                    S,
                    [("EXW", False), ("DAP", False), ("DDP", True), ("FCA", False)],
                    "Delivered Duty Paid: the seller bears every cost to the buyer's door.",
                ),
                (
                    "Customs value EUR 40, duty 10 %, VAT 20 % on value plus duty. What is the VAT?",
                    S,
                    [("EUR 8.00", False), ("EUR 8.80", True), ("EUR 9.60", False)],
                    "Duty is 4.00; the VAT base is 44.00; 20 % of 44.00 is 8.80.",
                ),
                (
                    "Which of these are part of the customs value in the EU (CIF)? Choose every "
                    "correct answer.",
                    M,
                    [
                        ("The price of the goods", True),
                        ("International freight to the EU border", True),
                        ("Insurance to the EU border", True),
                        ("The import VAT", False),
                    ],
                    "CIF: cost, insurance and freight to the border; VAT comes on top.",
                ),
                (
                    "What must a Rwandan exporter provide to claim zero duty under Everything But "
                    "Arms?",
                    S,
                    [
                        ("A proof of origin (statement on origin, REX registration)", True),
                        ("A phytosanitary certificate", False),
                        ("Nothing: the preference applies by itself", False),
                    ],
                    "Preferences are claimed with a proof of origin; without it the full duty applies.",
                ),
            ],
        ),
    ),
    (
        "Packaging and papers",
        [
            (
                "Packing for air freight",
                10,
                """
Parcels from Kigali travel by air through hubs where they are weighed, scanned, stacked and
moved many times. Good export packaging protects the product, keeps it legal and keeps the
freight bill down.

* **Protect.** Coffee and tea take up moisture and smells: use food-grade, sealed bags (for
  roasted coffee, bags with a one-way degassing valve) inside a rigid carton. Baskets need
  filling so they do not crush.
* **Label.** Food sold to consumers in the EU must show, in a language the buyer understands:
  the name of the food, the ingredients and allergens, the net quantity in metric units, the
  best-before date, storage conditions, the name and address of the business responsible, and
  the country of origin where required. Label for the strictest market you sell to.
* **Weigh what you pay for.** Air freight is charged on the *chargeable weight*: the greater of
  the real weight and the **volumetric weight**, length × width × height in centimetres divided
  by 6,000 (couriers often divide by 5,000). A 40 × 30 × 30 cm carton has a volumetric weight of
  36,000 / 6,000 = 6 kg, even if it holds 2 kg of tea. Choose cartons that fit the product.
""",
            ),
            (
                "The papers that travel with the goods",
                12,
                """
A parcel without the right papers waits. The usual set:

* **Commercial invoice**: seller and buyer, a plain description of the goods, the HS code,
  quantity, unit and total value with the currency, the Incoterm, and the country of origin.
  Customs use it to value the goods: it must match the real price paid.
* **Packing list**: what is in each package, with weights and dimensions.
* **Air waybill**: the carrier's contract and receipt; in a consolidation, a house waybill per
  shipment under the master waybill of the hub.
* **Proof of origin**, when you claim a preference: a statement on origin for the EU, an EAC or
  COMESA certificate of origin within those areas, an AfCFTA certificate under the African
  Continental Free Trade Area.
* **Sanitary and phytosanitary certificates** for plants and plant products: raw products such
  as green coffee beans generally need a phytosanitary certificate; processed products often
  do not. Check the importing country's rules for each product.
* **Export declaration**, lodged through the Rwanda Electronic Single Window. Coffee and tea
  exporters also work with NAEB, the National Agricultural Export Development Board.

This platform fills most of these from your listing and the order: keep the HS code, origin,
weights and dimensions of each product accurate, and check the draft papers before handing the
parcel to the hub.
""",
            ),
        ],
        (
            "Quiz: packaging and papers",
            70,
            3,
            [
                (
                    "A 50 × 40 × 30 cm carton weighs 5 kg. What is its chargeable weight with the "
                    "6,000 divisor?",
                    S,
                    [("5 kg", False), ("10 kg", True), ("12 kg", False)],
                    "50 × 40 × 30 = 60,000; / 6,000 = 10 kg, more than the real 5 kg.",
                ),
                (
                    "Which document must state the value, the currency and the Incoterm of the sale?",
                    S,
                    [
                        ("The packing list", False),
                        ("The commercial invoice", True),
                        ("The air waybill", False),
                    ],
                    "The commercial invoice is what customs use to value the goods.",
                ),
                (
                    "What must a food label for EU consumers show? Choose every correct answer.",
                    M,
                    [
                        ("The net quantity in metric units", True),
                        ("The allergens", True),
                        ("The seller's profit margin", False),
                        ("A best-before date", True),
                    ],
                    "Name, ingredients and allergens, quantity, date, business, origin where required.",
                ),
            ],
        ),
    ),
    (
        "Pricing for export",
        [
            (
                "Building an export price",
                12,
                """
Start from what one unit costs you **delivered to the hub**, then add what selling abroad costs,
then check the result against the market.

1. **Unit cost**: raw material, labour, processing, the export packaging.
2. **To the hub**: transport to the Kigali hub, handling.
3. **Selling costs** that are a share of the price: the platform fee and the payment fee.
4. **Margin**: what you keep. Work it out as a share of the *price*, not of the cost.
5. **Currency**: you are paid in RWF, the buyer pays in EUR or CNY. Rates move between the
   quote and the payout; a small buffer protects you, and the platform shows the rate it used.

Because fees and margin are shares of the price, the price is the cost divided by what is left:

> price = costs ÷ (1 − margin − fees)

Then look at the **landed price** the buyer sees (your price plus freight, duty and taxes) next
to what they pay for similar products in their market. If you are far above, cut costs or
choose a market with a trade preference; if you are far below, you are leaving money on the
table.
""",
            ),
            (
                "A worked example in RWF",
                10,
                """
A 250 g bag of roasted coffee:

| line | RWF |
|---|---|
| coffee, roasting, labour | 4,500 |
| valve bag, label, share of carton | 600 |
| transport to the hub | 150 |
| **costs** | **5,250** |

The seller wants a 30 % margin; the platform fee is 8 % and the payment fee 2 % of the price.
What is left of each franc of price for the costs is 1 − 0.30 − 0.08 − 0.02 = 0.60, so:

price = 5,250 ÷ 0.60 = **8,750 RWF**

Check: 8 % of 8,750 is 700 and 2 % is 175 (fees 875); 30 % is 2,625 (margin); 875 + 2,625 +
5,250 = 8,750. At an example rate of 1 EUR = 1,550 RWF, the price is EUR 5.65 before freight,
duty and taxes: the landed-cost quote on your listing shows what a buyer in Liège or Hangzhou
pays in the end.
""",
            ),
        ],
        (
            "Final quiz: ready to export",
            70,
            3,
            [
                (
                    "Costs are 6,000 RWF; margin 25 % and fees 15 % of the price. What is the price?",
                    S,
                    [("8,400 RWF", False), ("10,000 RWF", True), ("9,000 RWF", False)],
                    "6,000 ÷ (1 − 0.25 − 0.15) = 6,000 ÷ 0.60 = 10,000.",
                ),
                (
                    "Why compute the margin as a share of the price rather than of the cost?",
                    S,
                    [
                        ("Because fees are also shares of the price, so all shares add up", True),
                        ("Because customs require it", False),
                        ("It makes no difference", False),
                    ],
                    "With every share of the same base, price = costs ÷ (1 − shares).",
                ),
                (
                    "Which of these protect you from currency moves? Choose every correct answer.",
                    M,
                    [
                        ("A small buffer in the price", True),
                        ("Knowing the rate used for the quote and the payout", True),
                        ("Lowering the HS code", False),
                    ],
                    "Price with a buffer and know the rates; the HS code is about the product.",
                ),
            ],
        ),
    ),
]


TEACHING_ECOMMERCE: list[tuple[str, list[tuple[str, int, str]], Any]] = [
    (
        "Cross-border e-commerce, explained to students",
        [
            (
                "The models your students will meet",
                15,
                """
Cross-border e-commerce is retail and wholesale across a border where the order is placed
online. For teaching, three distinctions carry most of the weight:

* **Who sells to whom**: business to consumer (B2C: a parcel per order), business to business
  (B2B: larger lots, invoices, often bank payment), and the blurred middle of small businesses
  buying online.
* **Where the shop lives**: a global marketplace, a national or regional platform like this
  one, or the firm's own store with its own payments and logistics.
* **How goods move**: one parcel straight from the seller (simple, slow, expensive per kilo),
  **consolidation** through hubs (parcels from many sellers fly together and are split at the
  destination hub: cheaper and traceable), or stock held in advance in a warehouse near the
  buyers (fast delivery, capital tied up in stock abroad).

Each choice moves costs and risks between the seller, the platform and the buyer. A good first
exercise: give students one product from a local firm and ask them to draw the path of an order
under each model, with who pays for what.
""",
            ),
            (
                "Rules are data: using the trade-rules pages in class",
                10,
                """
Students often believe that duties and taxes are fixed facts. On this platform the rules of
each territory are published as dated data with their sources: tariff lines, preferences, VAT
rates, thresholds for low-value parcels. That makes them material for exercises:

1. Quote the same product to three destinations and explain the differences line by line.
2. Change the origin (with and without a proof of origin) and measure what a preference is
   worth.
3. Find the date a rule changed and discuss who decided it and why.

Ask students to cite the rule's source as they would cite a paper. They learn that a landed
cost is an argument built from public rules, not a number from a black box.
""",
            ),
        ],
        (
            "Quiz: models and rules",
            70,
            3,
            [
                (
                    "What is consolidation?",
                    S,
                    [
                        ("Parcels of many sellers travelling together between hubs", True),
                        ("Merging two online shops", False),
                        ("Paying duties in advance", False),
                    ],
                    "Consolidation groups parcels for the trunk flight and splits them at arrival.",
                ),
                (
                    "Which exercises use the published trade rules? Choose every correct answer.",
                    M,
                    [
                        ("Quoting one product to several destinations", True),
                        ("Measuring the value of a preference", True),
                        ("Guessing a VAT rate from memory", False),
                    ],
                    "Rules as data make quotes explainable and comparable.",
                ),
            ],
        ),
    ),
    (
        "Designing a practical course",
        [
            (
                "Learning outcomes and live projects",
                15,
                """
Write outcomes as things a student can do and you can observe: "classify five products of a
local firm and justify each code", "build a DDP price for one product to two markets",
"prepare the papers for a parcel". Then build the course backwards from them.

The strongest courses pair every group of students with a **real small firm**: a cooperative,
a craft workshop, a food maker. Over the term the group lists the firm's products, prices them
for export, answers buyers' questions and, where the firm agrees, handles real orders. Keep a
weekly rhythm: a short input, a task on the firm's catalogue, a review in class.

Assess the work, not the memory: the listing, the price calculation with its sources, the
papers. A short quiz per module checks the vocabulary; let students retake it, because the aim
is that everyone ends up knowing the material.
""",
            ),
        ],
        (
            "Quiz: course design",
            70,
            3,
            [
                (
                    "Which is a well-written learning outcome?",
                    S,
                    [
                        ("Understand e-commerce", False),
                        (
                            "Build a DDP price for one product to two markets, citing the rules",
                            True,
                        ),
                        ("Attend every lecture", False),
                    ],
                    "Outcomes name something a student can do and you can observe.",
                ),
            ],
        ),
    ),
]


FELLOWSHIP_DESCRIPTION = """
The **eWTP Founders Fellowship** selects founders of young businesses in the East African
Community who sell, or want to sell, across borders. Fellows follow a six-month programme:
a bootcamp on cross-border operations, monthly live sessions with practitioners from the hubs
in Liège, Hangzhou and Kuala Lumpur, and a mentor for their export plan.

Places are few and applications many: the first class received 700 applications for
24 places. Every application is read by two reviewers who have no conflict of interest with
the applicant, and scored on the criteria below; the panel decides by ranking.
"""

LECTURERS_DESCRIPTION = """
The **Global E-commerce Talent** programme trains university and TVET lecturers to teach
cross-border e-commerce with real firms and real trade rules. Lecturers follow the course at
their own pace and meet their cohort in monthly live sessions.
"""

SELLERS_DESCRIPTION = """
Short, practical courses for sellers on the platform. Finishing **Export readiness** shows
an *export-ready* badge on your storefront and products.
"""
