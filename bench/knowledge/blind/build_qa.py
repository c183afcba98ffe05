#!/usr/bin/env python3
"""Builds the blind QA set, checks it against the documents and splits it
into dev/test with a fixed seed (stratified by lang x answerable/expect_none).
Written once and frozen on 2026-12-03."""
import json, random, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")

LTC = "ltc_om_2026.txt"
EOF_ = "eoffice_file_handling_guidelines.txt"
GEM = "gem_procurement_faq.txt"
PG = "cpgrams_grievance_om.txt"
ATT = "aebas_attendance_om.txt"
FLD = "rangapani_flood_preparedness_news.txt"
NPS = "nps_ups_pension_faq.txt"
APAR = "apar_timelines_om.txt"
STL = "study_leave_training_guidance.txt"
RBH = "rajbhasha_karyanvayan_paripatra.txt"
SWA = "vishesh_abhiyan_swachhata_om.txt"
POSH = "aantarik_samiti_posh_faq.txt"
LOO = "surajgarh_loo_karyayojana_samachar.txt"
AWAS = "samanya_pool_awas_faq.txt"

N = None  # marker for expect_none

Q = [
# ---------------- English ----------------
("en", "How often can I take LTC to my home town in the 2026-2029 block?", ["once in each two-year block"], LTC),
("en", "what % of the estimated fare can be drawn as LTC advance", ["90 per cent"], LTC),
("en", "What is the earliest I can draw the LTC advance before my outward journey?", ["65 days"], LTC),
("en", "I did not take any advance for LTC. By when do I have to submit the claim after coming back?", ["90 days"], LTC),
("en", "Up to which date can non-entitled staff fly economy class to Ladakh or the North East on LTC?", ["25th September, 2027"], LTC),
("en", "Can I book LTC air tickets through a private travel portal like MakeMyTrip?", ["Balmer Lawrie", "Ashok Tours & Travels", "IRCTC", "shall not be reimbursed"], LTC),
("en", "What is the lifetime cap on earned leave encashment taken along with LTC?", ["60 days"], LTC),
("en", "My father gets a pension. Up to what monthly income is he counted as dependent for LTC?", ["12,500"], LTC),
("en", "Last date for using the unavailed LTC of the 2022-25 block?", ["31st December, 2026"], LTC),
("en", "From which pay level are officers entitled to fly on LTC?", ["Pay Level 12"], LTC),
("en", "What happens if someone makes a fraudulant LTC claim?", ["next two sets of LTC", "CCS (CCA) Rules, 1965"], LTC),
("en", "From what date did MoRD stop opening new physical files?", ["1st April, 2026"], EOF_),
("en", "maximum size of one attachment in e-office", ["20 MB"], EOF_),
("en", "Within how much time does the CRU scan and diarise incoming dak?", ["24 hours"], EOF_),
("en", "How many levels of submission are allowed for decision making on e-Office files?", ["four levels"], EOF_),
("en", "When should officers apply for renewal of their DSC?", ["15 days before its expiry", "15 days"], EOF_),
("en", "Can Top Secret files be processed on e-Office?", ["physical form"], EOF_),
("en", "What is the extension number of the e-Office helpdesk in Krishi Bhawan?", ["4455"], EOF_),
("en", "I am going on leave for 3 days. Do I need to delegate my e-office account?", ["Set Delegation", "2 working days"], EOF_),
("en", "Up to what amount can we buy directly on GeM without comparing sellers?", ["50,000"], GEM),
("en", "Who can be primary user on GeM - what minimum rank?", ["Deputy Secretary"], GEM),
("en", "minimum bid submission time for a Rs 75 lakh bid on GeM", ["21 days"], GEM),
("en", "At what rate is EMD asked for in GeM bids?", ["2 per cent"], GEM),
("en", "Time limit for the consignee to issue CRAC after delivery?", ["10 days"], GEM),
("en", "How quickly must the seller replace goods that we rejected?", ["15 days"], GEM),
("en", "What has to be generated when an item isn't available on GeM and we buy outside?", ["GeMAR&PTS"], GEM),
("en", "How much local content makes a Class-I local supplier?", ["50 per cent or more"], GEM),
("en", "What is the current time limit for disposing of a public grievence on CPGRAMS?", ["21 days"], PG),
("en", "If a grievance can't be settled in time, within how many days should an interim reply go to the citizen?", ["7 days"], PG),
("en", "Minimum rank of the Nodal Public Grievance Officer in a Ministry?", ["Joint Secretary"], PG),
("en", "When does the Secretary hold the monthly grievance review meeting?", ["second Tuesday"], PG),
("en", "What happens to grievances that citizens rate as Poor?", ["re-examined", "15 days"], PG),
("en", "What are the office timings in the Ministry of Textiles?", ["9:00 AM to 5:30 PM"], ATT),
("en", "Geo fence distance for marking attendance with the AEBAS Face app", ["200 metres"], ATT),
("en", "Who is the AEBAS nodal officer in the Textiles ministry?", ["Prakash Nimbalkar"], ATT),
("en", "What is the penalty after the third late arrival in a month?", ["half a day's Casual Leave"], ATT),
("en", "How many relief camps has Rangapani district identified?", ["42"], FLD),
("en", "What is the toll-free number of the Rangapani DEOC?", ["1077"], FLD),
("en", "By what time must circle officers send the daily flood report?", ["10 AM"], FLD),
("en", "ex gratia for flood deaths in Rangapani", ["Rs 4 lakh"], FLD),
("en", "What is the government's share of contribution in NPS?", ["14 per cent"], NPS),
("en", "How many times can partial withdrawal be made from NPS?", ["maximum of 3 times", "3 times"], NPS),
("en", "Minimum monthly payout assured under UPS?", ["10,000"], NPS),
("en", "Till when can I switch back from UPS to NPS?", ["one year before"], NPS),
("en", "Last date for submitting self appraisal for APAR 2025-26?", ["10th May, 2026"], APAR),
("en", "Word limit for the pen picture in APAR?", ["100 words"], APAR),
("en", "How long must the reporting authority have watched the officer's work to write the APAR?", ["90 days"], APAR),
("en", "By when is the whole APAR process for 2025-26 to be completed?", ["31st December, 2026"], APAR),
("en", "How many years of service do I need before I can apply for study leave?", ["five years"], STL),
("en", "Maximum reimbursement per year for an online course I do on my own?", ["30,000"], STL),
("en", "For how long must I serve after returning from study leave?", ["3 years"], STL),
("en", "What is the first prize amount under the Hindi original noting and drafting scheme?", ["₹5,000"], RBH),
("en", "During which dates is Hindi Pakhwada 2026 being celebrated in the water resources department?", ["14 सितंबर, 2026", "28 सितंबर, 2026"], RBH),
("en", "Within how many days must the Internal Complaints Committee complete its inquiry?", ["90 दिनों के भीतर पूरी"], POSH),
("en", "How long can a retired officer keep his government accommodation?", ["6 महीने"], AWAS),
("en", "What revenue target from scrap disposal is set for Special Campaign 6.0 in MSME?", ["₹8 लाख"], SWA),
("en", "What is the LTC-80 fare for Delhi to Srinagar?", N, None),
("en", "After how many days of pendency is a Section Officer issued a show-cause notice for e-Office files?", N, None),
("en", "What is the GeM seller registration fee for a startup?", N, None),
("en", "What interest does the buyer office pay on GeM if payment is delayed beyond 10 days?", N, None),
("en", "How many grievances were received on CPGRAMS in 2025?", N, None),
("en", "What is the toll-free helpline number for CPGRAMS?", N, None),
("en", "How many biometric terminals are installed in Udyog Bhawan?", N, None),
("en", "How much assistance is given for a fully damaged house in the Rangapani floods?", N, None),
("en", "What annuity rate does LIC offer to NPS subscribers at retirement?", N, None),
("en", "Who is the reviewing authority for a Joint Secretary's APAR in MoEFCC?", N, None),
("en", "How many officers of the Ministry of Coal were granted study leave last year?", N, None),
("en", "What is the monthly licence fee for a Type-IV house in Delhi?", N, None),
("en", "How many complaints did the Bhopal ICC receive in 2025?", N, None),
# ---------------- Hindi ----------------
("hi", "क्षेत्र 'क' के कार्यालयों को पत्र किस भाषा में भेजने हैं?", ["हिंदी में"], RBH),
("hi", "अनुभागों को तिमाही प्रगति रिपोर्ट राजभाषा अनुभाग को कब तक भेजनी है?", ["10 तारीख"], RBH),
("hi", "मूल टिप्पण आलेखन योजना में भाग लेने के लिए साल में कितने शब्द हिंदी में लिखने होंगे?", ["20,000 शब्द"], RBH),
("hi", "प्राज्ञ परीक्षा पास करने पर कितना इनाम मिलता है?", ["₹2,400"], RBH),
("hi", "हिंदी पखवाड़े की प्रतियोगिताओं के लिए नाम भेजने की आखिरी तारीख क्या है?", ["5 सितंबर, 2026"], RBH),
("hi", "राजभाषा कार्यान्वयन समिति की बैठक कितनी बार होनी चाहिए?", ["प्रत्येक तिमाही"], RBH),
("hi", "विशेष अभियान 6.0 का कार्यान्वयन चरण कब से कब तक चलेगा?", ["2 अक्टूबर, 2026", "31 अक्टूबर, 2026"], SWA),
("hi", "इस बार अभियान में कितनी भौतिक फाइलों की समीक्षा का लक्ष्य रखा गया है?", ["4,500"], SWA),
("hi", "एससीडीपीएम पोर्टल पर रोज की प्रगति किस समय तक डालनी है?", ["शाम 5 बजे"], SWA),
("hi", "विशेष अभियान की नोडल अधिकारी कौन हैं?", ["कविता सक्सेना"], SWA),
("hi", "अभियान के दौरान श्रमदान किस दिन और कितने बजे होगा?", ["प्रत्येक शुक्रवार", "अपराह्न 4 बजे से 5 बजे"], SWA),
("hi", "लैंगिक उत्पीड़न की शिकायत घटना के कितने समय के अंदर देनी होती है?", ["तीन महीने"], POSH),
("hi", "भोपाल कार्यालय की आंतरिक शिकायत समिति की अध्यक्ष कौन है?", ["सुनीता राघवन"], POSH),
("hi", "समिति की रिपोर्ट मिलने के बाद कार्यालय प्रमुख को कितने दिन में कार्रवाई करनी होती है?", ["60 दिनों"], POSH),
("hi", "क्या सुलह में पैसों का लेन-देन करके मामला निपटाया जा सकता है?", ["धन संबंधी समझौता नहीं"], POSH),
("hi", "जाँच चलने के दौरान पीड़ित महिला को कितनी छुट्टी दी जा सकती है?", ["तीन महीने तक का अवकाश"], POSH),
("hi", "सूरजगढ़ में मनरेगा का काम अब किस समय होगा?", ["सुबह 6 बजे से 11 बजे"], LOO),
("hi", "सूरजगढ़ जिले में कितने शीतलन केंद्र बनाए गए हैं?", ["14"], LOO),
("hi", "लू के लिए जिला नियंत्रण कक्ष का फोन नंबर क्या है?", ["01562-250145"], LOO),
("hi", "हर सामुदायिक स्वास्थ्य केंद्र में लू के मरीजों के लिए कितने बेड रखे गए हैं?", ["10 बिस्तर"], LOO),
("hi", "टाइप-III सरकारी मकान के लिए कौन सा वेतन स्तर चाहिए?", ["वेतन स्तर 6 से 8"], AWAS),
("hi", "मकान आवंटन होने के बाद कितने दिनों में उसे स्वीकार करना होता है?", ["5 दिनों"], AWAS),
("hi", "सेवा में रहते आवंटी की मृत्यु हो जाए तो परिवार कितने समय तक मकान में रह सकता है?", ["24 महीने"], AWAS),
("hi", "सरकारी मकान किराये पर देते पकड़े जाने पर क्या सज़ा है?", ["शेष सेवा अवधि"], AWAS),
("hi", "एलटीसी अग्रिम लिया हो तो वापसी यात्रा के कितने दिनों में अंतिम दावा जमा करना होता है?", ["30 days"], LTC),
("hi", "जेम पर किस राशि से ऊपर की खरीद केवल बोली या रिवर्स नीलामी से होगी?", ["10 lakh"], GEM),
("hi", "सीपीग्राम्स पर शिकायत निपटान से असंतुष्ट नागरिक कितने दिनों में अपील कर सकता है?", ["30 days"], PG),
("hi", "एनपीएस में कर्मचारी का अपना अंशदान कितना कटता है?", ["10 per cent"], NPS),
("hi", "एपीएआर के खुलासे के बाद अभ्यावेदन कितने दिनों में देना होता है?", ["15 days"], APAR),
("hi", "ई-ऑफिस में आई रसीद को फाइल में कितने दिनों में लगाना है?", ["3 working days"], EOF_),
("hi", "रंगापानी जिले के पास अपनी कितनी मशीनी नावें हैं?", ["12 mechanised boats"], FLD),
("hi", "अध्ययन अवकाश एक बार में अधिकतम कितने समय का मिल सकता है?", ["12 months"], STL),
("hi", "हिंदी पखवाड़ा प्रतियोगिताओं में प्रथम पुरस्कार की राशि कितनी है?", N, None),
("hi", "पिछले वर्ष के विशेष अभियान में कितना कार्यालय स्थान खाली कराया गया था?", N, None),
("hi", "आंतरिक शिकायत समिति के बाहरी सदस्य को प्रति बैठक कितना मानदेय मिलता है?", N, None),
("hi", "सूरजगढ़ में पिछले साल लू से कितने पशुओं की मौत हुई थी?", N, None),
("hi", "ई-संपदा पोर्टल पर अभी प्रतीक्षा सूची में कितने आवेदक हैं?", N, None),
("hi", "एलटीसी में ट्रेन के तत्काल टिकट के अतिरिक्त शुल्क की प्रतिपूर्ति होती है या नहीं?", N, None),
("hi", "जेम पर विक्रेता पंजीकरण के लिए कौन-कौन से दस्तावेज़ चाहिए?", N, None),
("hi", "एनपीएस के टियर-II खाते पर कितना ब्याज मिलता है?", N, None),
# ---------------- Hindi in Latin letters ----------------
("hi-Latn", "LTC kitne saal me ek baar home town ke liye milta hai", ["once in each two-year block"], LTC),
("hi-Latn", "LTC advance kitna percent milta hai", ["90 per cent"], LTC),
("hi-Latn", "ltc ke sath ek baar me kitne din ki chutti encash kar sakte hai", ["10 days"], LTC),
("hi-Latn", "GeM pe bina compare kiye direct kharid ki limit kya hai", ["50,000"], GEM),
("hi-Latn", "gem par 50 lakh tak ki bid ke liye minimum kitne din dene hote hai", ["10 days"], GEM),
("hi-Latn", "seller ko payment CRAC ke kitne din me karna hai", ["10 days"], GEM),
("hi-Latn", "cpgrams grievance kitne din me nipatana hota hai", ["21 days"], PG),
("hi-Latn", "grievance ki appeal ko appellate authority kitne din me decide karegi", ["30 days"], PG),
("hi-Latn", "textiles mantralay me biometric attendance me kitne baje tak late mana jayega", ["9:30 AM"], ATT),
("hi-Latn", "naye joinee ka AEBAS registration kitne din me hona chahiye", ["7 days"], ATT),
("hi-Latn", "tour se wapas aane ke baad on duty kab tak portal pe daalna hai", ["3 working days"], ATT),
("hi-Latn", "NPS me PRAN kitne digit ka hota hai", ["12-digit"], NPS),
("hi-Latn", "retirement pe NPS se kitna lump sum nikal sakte hain", ["60 per cent"], NPS),
("hi-Latn", "UPS me 25 saal ki service par kitni pension milegi", ["50 per cent"], NPS),
("hi-Latn", "APAR officer ko disclose kab tak hoga", ["15th September, 2026"], APAR),
("hi-Latn", "APAR me outstanding grading kitne number pe milti hai", ["9 and above"], APAR),
("hi-Latn", "study leave puri naukri me maximum kitne mahine", ["24 months"], STL),
("hi-Latn", "foreign training ke liye application kitne din pehle HRD ko bhejni hai", ["45 days"], STL),
("hi-Latn", "e-office me handwritten noting scan karke laga sakte hain kya", ["not permitted"], EOF_),
("hi-Latn", "rangapani me SDRF ki team kahan tainaat hogi", ["Borghat"], FLD),
("hi-Latn", "hindi pakhwada kab se kab tak hai", ["14 सितंबर, 2026", "28 सितंबर, 2026"], RBH),
("hi-Latn", "hindi me aaye patra ka jawab kis bhasha me dena hai, niyam 5 kya kehta hai", ["अनिवार्य रूप से हिंदी में"], RBH),
("hi-Latn", "special campaign 6.0 me kitni e-files band karni hain", ["1,200"], SWA),
("hi-Latn", "ICC me complaint ki kitni copies jama karni hoti hain", ["छह प्रतियाँ"], POSH),
("hi-Latn", "ICC member ka karyakal kitne saal ka hota hai", ["तीन वर्ष"], POSH),
("hi-Latn", "surajgarh me dopahar kitne baje se kitne baje tak bahar kaam band hai", ["12 बजे से 3 बजे"], LOO),
("hi-Latn", "sarkari makaan ki allotment list mahine ki kis tarikh ko aati hai", ["15 तारीख"], AWAS),
("hi-Latn", "delhi se bahar transfer hua to quarter kitne mahine rakh sakte hain", ["2 महीने"], AWAS),
("hi-Latn", "resign karne ke baad sarkari ghar kitne time me khali karna hoga", ["1 महीने"], AWAS),
("hi-Latn", "LTC ke liye self declaration form ka number kya hai", N, None),
("hi-Latn", "GeM incident management policy me seller pe kitna fine lagta hai", N, None),
("hi-Latn", "AEBAS face app kaunse android version pe chalta hai", N, None),
("hi-Latn", "APAR 2024-25 ka self appraisal ka last date kya tha", N, None),
("hi-Latn", "rangapani me pichhle saal baadh me kitne log mare the", N, None),
("hi-Latn", "NPS me pension fund change karne ki fees kitni hai", N, None),
("hi-Latn", "sarkari awas me paltu kutta rakh sakte hain kya", N, None),
# ---------------- Tamil ----------------
("ta", "LTC உடன் சேர்த்து முழு பணிக்காலத்திலும் அதிகபட்சம் எத்தனை நாள் ஈட்டிய விடுப்பை பணமாக்கலாம்?", ["60 days"], LTC),
("ta", "வடகிழக்கு மாநிலங்கள், லடாக் போன்ற இடங்களுக்கு LTC-ல் விமானத்தில் செல்லும் சிறப்புச் சலுகை எந்த தேதி வரை செல்லுபடியாகும்?", ["25th September, 2027"], LTC),
("ta", "GeM-ல் பொருள் டெலிவரி ஆனதும் consignee எத்தனை மணி நேரத்திற்குள் PRC உருவாக்க வேண்டும்?", ["48 hours"], GEM),
("ta", "சிறு குறு நிறுவனங்கள் (MSE) GeM ஏலத்தில் EMD கட்ட வேண்டுமா?", ["exempted"], GEM),
("ta", "துணை அலுவலகங்களில் குறை தீர்க்கும் அதிகாரி (GRO) குறைந்தபட்சம் எந்த பதவியில் இருக்க வேண்டும்?", ["Deputy Secretary"], PG),
("ta", "புதிதாக நியமிக்கப்பட்ட GRO-க்கள் எங்கே பயிற்சி எடுக்க வேண்டும்?", ["ISTM", "Institute of Secretariat Training and Management"], PG),
("ta", "ஜவுளி அமைச்சகத்தில் மதிய உணவு இடைவேளை எவ்வளவு நேரம்?", ["30 minutes"], ATT),
("ta", "பயோமெட்ரிக் கருவிகள் எதுவும் வேலை செய்யவில்லை என்றால் வருகையை எங்கே பதிவு செய்ய வேண்டும்?", ["manual register", "Gate No. 2"], ATT),
("ta", "ரங்காபானி மாவட்டத்தில் வெள்ளத்துக்காக எத்தனை மருத்துவக் குழுக்கள் அமைக்கப்பட்டுள்ளன?", ["36 medical teams"], FLD),
("ta", "NPS Tier-II கணக்கு தொடங்க குறைந்தபட்சம் எவ்வளவு பணம் செலுத்த வேண்டும்?", ["1,000"], NPS),
("ta", "ஓய்வின்போது மொத்த NPS தொகை 5 லட்சம் அல்லது அதற்கும் குறைவாக இருந்தால் என்ன செய்யலாம்?", ["entire amount"], NPS),
("ta", "SPARROW-ல் அறிக்கை அதிகாரிகளின் mapping எந்த தேதிக்குள் முடிக்கப்பட வேண்டும்?", ["10th April, 2026"], APAR),
("ta", "ஓய்வு பெற எத்தனை ஆண்டுகள் இருக்கும்போது படிப்பு விடுப்பு பொதுவாக வழங்கப்படாது?", ["three years"], STL),
("ta", "இந்தியில் மூலக் குறிப்பு எழுதும் ஊக்கத் திட்டத்தில் மூன்றாம் பரிசுத் தொகை எவ்வளவு?", ["₹2,000"], RBH),
("ta", "MSME அமைச்சகத்தின் சிறப்பு இயக்கம் 6.0-ல் சிறந்த பிரிவுகளுக்கான விருது எப்போது வழங்கப்படும்?", ["20 नवंबर, 2026"], SWA),
("ta", "உள் புகார் குழு விசாரணை முடிந்ததும் எத்தனை நாட்களில் அறிக்கையை அளிக்க வேண்டும்?", ["10 दिनों"], POSH),
("ta", "சூரஜ்கட் மாவட்ட மருத்துவமனையில் வெப்பத் தாக்கு நோயாளிகளுக்கான சிறப்பு வார்டில் எத்தனை படுக்கைகள்?", ["30 बिस्तरों"], LOO),
("ta", "ஓய்வுக்குப் பிறகு அரசு குடியிருப்பை வைத்திருந்தால் கடைசி 4 மாதங்களுக்கு உரிமக் கட்டணம் எவ்வளவு?", ["दोगुना"], AWAS),
("ta", "LTC பயண நாட்களுக்கு தினசரி படி (DA) எவ்வளவு கிடைக்கும்?", N, None),
("ta", "GeM-ல் புதிய வாங்குபவர் கணக்கு திறக்க என்னென்ன ஆவணங்கள் தேவை?", N, None),
("ta", "ஆதார் எண் இல்லாத ஒப்பந்த ஊழியர்கள் AEBAS-ல் வருகையை எப்படிப் பதிவு செய்வது?", N, None),
("ta", "ஹிந்தி பக்வாடா கவிதைப் போட்டிக்கு நடுவர்கள் யார்?", N, None),
("ta", "இந்த ஆண்டு சூரஜ்கட்டில் பதிவான அதிகபட்ச வெப்பநிலை எவ்வளவு?", N, None),
# ---------------- Bengali ----------------
("bn", "LTC-র জন্য হোম টাউন পুরো চাকরিজীবনে কতবার বদলানো যায়?", ["only once during the entire service"], LTC),
("bn", "LTC অগ্রিম তোলার ৩০ দিনের মধ্যে যাত্রা শুরু না করলে কী হয়?", ["penal interest", "2 per cent above"], LTC),
("bn", "ই-অফিসে ফাইলের সাবজেক্ট সর্বোচ্চ কত অক্ষরের হতে পারে?", ["200 characters"], EOF_),
("bn", "বদলির পর রিলিভিং অর্ডার পাওয়ার আগে কোন সার্টিফিকেট লাগবে?", ["e-Office clearance certificate"], EOF_),
("bn", "মন্ত্রকের MSE থেকে বার্ষিক কেনাকাটার লক্ষ্য কত শতাংশ?", ["25 per cent"], GEM),
("bn", "CPGRAMS-এ কোন ধরনের বিষয় অভিযোগ হিসেবে ধরা হয় না?", ["sub judice", "personal and family disputes"], PG),
("bn", "AEBAS Face অ্যাপে মোবাইল ডিভাইস বছরে কতবার বদলানো যায়?", ["twice in a year"], ATT),
("bn", "রাঙাপানি জেলায় কতজন আপদা মিত্র স্বেচ্ছাসেবককে প্রশিক্ষণ দেওয়া হয়েছে?", ["300 Aapda Mitra"], FLD),
("bn", "ত্রাণ শিবিরগুলিতে কত দিনের খাদ্যের বাফার স্টক রাখা হবে?", ["15 days"], FLD),
("bn", "NPS-এ পেনশন ফান্ড বছরে কতবার পরিবর্তন করা যায়?", ["once in a financial year"], NPS),
("bn", "UPS-এ পেনশনভোগীর মৃত্যুর পর স্বামী/স্ত্রী কত শতাংশ পান?", ["60 per cent"], NPS),
("bn", "রিপোর্টিং অফিসার অবসর নেওয়ার পর কত দিনের মধ্যে APAR লিখতে পারেন?", ["within one month of retirement"], APAR),
("bn", "মন্ত্রক মনোনীত দেশীয় প্রশিক্ষণ কত সপ্তাহ পর্যন্ত ডিউটি বলে গণ্য হয়?", ["4 weeks"], STL),
("bn", "সব কম্পিউটারে ইউনিকোড হিন্দি ফন্ট চালু করার শেষ তারিখ কবে?", ["31 अगस्त, 2026"], RBH),
("bn", "মন্ত্রক চত্বরে সিঙ্গল-ইউজ প্লাস্টিক নিয়ে কী নির্দেশ আছে?", ["पूर्णतः प्रतिबंधित"], SWA),
("bn", "ICC-র সুপারিশে অসন্তুষ্ট হলে কত দিনের মধ্যে আপিল করতে হয়?", ["सिफ़ारिशों के 90 दिनों"], POSH),
("bn", "সূরজগড়ে গরমের জন্য স্কুলের নতুন সময় কী?", ["सुबह 7:30 बजे"], LOO),
("bn", "সরকারি কোয়ার্টারের জন্য কোন পোর্টালে আবেদন করতে হয়?", ["ई-संपदा"], AWAS),
("bn", "GeM-এ রিভার্স অকশন কত ঘণ্টা ধরে চলে?", N, None),
("bn", "CPGRAMS-এ বাংলা ভাষায় অভিযোগ জমা দেওয়া যায় কি?", N, None),
("bn", "রাঙাপানি জেলায় বন্যায় ফসলের ক্ষতির জন্য হেক্টর প্রতি কত টাকা ক্ষতিপূরণ দেওয়া হবে?", N, None),
("bn", "APAR-এর representation খারিজ হলে CAT-এ যাওয়ার সময়সীমা কত?", N, None),
("bn", "গত বছরের বিশেষ অভিযানে MSME মন্ত্রক কতগুলি ই-ফাইল বন্ধ করেছিল?", N, None),
]

def build():
    items = []
    for i, (lang, q, exp, doc) in enumerate(Q, 1):
        d = {"id": "b%03d" % i, "lang": lang, "q": q}
        if exp is None:
            d["expect_none"] = True
        else:
            d["expect_any"] = exp
            d["doc"] = doc
        items.append(d)
    return items

def check(items):
    errors = []
    texts = {f: open(os.path.join(DOCS, f), encoding="utf-8").read() for f in os.listdir(DOCS)}
    for d in items:
        if "expect_any" in d:
            if d["doc"] not in texts:
                errors.append((d["id"], "missing doc", d["doc"]))
                continue
            for s in d["expect_any"]:
                if s not in texts[d["doc"]]:
                    errors.append((d["id"], "not verbatim", s))
                if len(s.split()) > 6:
                    errors.append((d["id"], "too long", s))
    ids = [d["id"] for d in items]
    if len(set(ids)) != len(ids):
        errors.append(("-", "duplicate ids", ""))
    qs = [d["q"] for d in items]
    if len(set(qs)) != len(qs):
        errors.append(("-", "duplicate questions", ""))
    return errors

def split(items, seed=20261203):
    rng = random.Random(seed)
    strata = {}
    for d in items:
        strata.setdefault((d["lang"], "none" if d.get("expect_none") else "ans"), []).append(d)
    dev, test = [], []
    extra_to_dev = True
    for key in sorted(strata):
        group = strata[key][:]
        rng.shuffle(group)
        half = len(group) // 2
        if len(group) % 2:
            half += 1 if extra_to_dev else 0
            extra_to_dev = not extra_to_dev
        dev += group[:half]
        test += group[half:]
    key = lambda d: d["id"]
    return sorted(dev, key=key), sorted(test, key=key)

if __name__ == "__main__":
    items = build()
    errs = check(items)
    for e in errs:
        print("ERROR", *e)
    if errs:
        sys.exit(1)
    dev, test = split(items)
    for name, part in (("qa.dev.jsonl", dev), ("qa.test.jsonl", test)):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            for d in part:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print("total", len(items), "none", sum(1 for d in items if d.get("expect_none")))
