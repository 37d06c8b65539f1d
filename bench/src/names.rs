//! The name tables of the synthetic registries: given and family names of the populations most
//! represented among unaccompanied minors arriving in Belgium (Afghan, Eritrean, Syrian, Guinean,
//! Moroccan, Somali), each name with the Latin spellings agencies actually write (most frequent
//! first) and, where the population writes it so, the name in its own script (Arabic script for
//! Dari/Pashto, Arabic; Ge'ez script for Tigrinya).
//!
//! Written for these benchmarks from general knowledge of the naming customs and of the usual
//! romanisations (English and French popular spellings, Somali orthography, BGN/PCGN-like forms);
//! not copied from any data set, and independent of the matching evaluation set under `tests/`.
//! Within each list the order is the frequency rank: the generator draws from it with Zipf's law.
//! The population weights approximate the shares of first asylum applications by unaccompanied
//! minors in Belgium in recent years; they are a plausible mix, not statistics.

/// One name: its Latin spellings (most common first) and its form in the original script.
#[derive(Debug, Clone, Copy)]
pub struct Name {
    pub latin: &'static [&'static str],
    pub native: Option<&'static str>,
}

/// A population of origin: how often it occurs, how its children's names are written.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    /// ISO 3166-1 alpha-2 code of the nationality.
    pub country: &'static str,
    /// Relative frequency among the registered children.
    pub weight: u32,
    /// ISO 15924 code of the original script, if names are also written in one.
    pub script: Option<&'static str>,
    /// Share of records that carry the names in the original script as well.
    pub original_script_share: f64,
    /// Languages (ISO 639-1 or 639-3); each child speaks the first and sometimes the second.
    pub languages: &'static [&'static str],
    pub male: &'static [Name],
    pub female: &'static [Name],
    pub family: &'static [Name],
}

macro_rules! n {
    ($($latin:literal),+ ; $native:literal) => {
        Name { latin: &[$($latin),+], native: Some($native) }
    };
    ($($latin:literal),+) => {
        Name { latin: &[$($latin),+], native: None }
    };
}

const AF_MALE: &[Name] = &[
    n!("Mohammad", "Mohammed", "Muhammad", "Mohamad", "Mohamed"; "محمد"),
    n!("Ahmad", "Ahmed", "Ahmat"; "احمد"),
    n!("Ali", "Aly"; "علی"),
    n!("Mustafa", "Mostafa", "Mustapha"; "مصطفی"),
    n!("Hamid", "Hameed", "Hamied"; "حمید"),
    n!("Abdullah", "Abdulla", "Abdallah"; "عبدالله"),
    n!("Javid", "Jawid", "Javed", "Jawed"; "جاوید"),
    n!("Sajad", "Sajjad", "Sadjad"; "سجاد"),
    n!("Reza", "Rezza", "Riza"; "رضا"),
    n!("Mahdi", "Mehdi", "Mahdy"; "مهدی"),
    n!("Hussain", "Hussein", "Hossein", "Husain"; "حسین"),
    n!("Hassan", "Hasan", "Hassen"; "حسن"),
    n!("Jawad", "Javad", "Jawaad"; "جواد"),
    n!("Omid", "Umid", "Omeed"; "امید"),
    n!("Farhad", "Farhaad", "Ferhad"; "فرهاد"),
    n!("Sohail", "Suhail", "Sohayl"; "سهیل"),
    n!("Bilal", "Belal", "Bilaal"; "بلال"),
    n!("Ismail", "Esmail", "Ismael"; "اسماعیل"),
    n!("Zabihullah", "Zabiullah", "Zabihollah"; "ذبیح الله"),
    n!("Samiullah", "Samiulla", "Samiollah"; "سمیع الله"),
    n!("Rahmatullah", "Rahmatollah", "Rahmatulla"; "رحمت الله"),
    n!("Shafiq", "Shafeeq", "Chafik"; "شفیق"),
    n!("Wahid", "Waheed", "Vahid"; "وحید"),
    n!("Nasir", "Naser", "Nasser"; "ناصر"),
    n!("Habib", "Habeeb", "Habiib"; "حبیب"),
    n!("Karim", "Kareem", "Kerim"; "کریم"),
    n!("Rahim", "Raheem", "Rahiem"; "رحیم"),
    n!("Ehsan", "Ihsan", "Ahsan"; "احسان"),
    n!("Murtaza", "Mortaza", "Murtasa"; "مرتضی"),
    n!("Yasin", "Yaseen", "Yassin"; "یاسین"),
    n!("Noorullah", "Nurullah", "Noorollah"; "نور الله"),
    n!("Khalid", "Khaled", "Chalid"; "خالد"),
    n!("Asadullah", "Asadollah", "Asadulla"; "اسد الله"),
    n!("Idris", "Edris", "Idrees"; "ادریس"),
    n!("Sayed", "Sayyed", "Seyed"; "سید"),
];

const AF_FEMALE: &[Name] = &[
    n!("Fatima", "Fatema", "Fatemeh", "Fatimah"; "فاطمه"),
    n!("Zahra", "Zahraa", "Zehra"; "زهرا"),
    n!("Maryam", "Mariam", "Mariyam"; "مریم"),
    n!("Sara", "Sarah", "Saara"; "سارا"),
    n!("Arezo", "Arezoo", "Arzu"; "آرزو"),
    n!("Nazanin", "Nazaneen", "Nazanine"; "نازنین"),
    n!("Marzia", "Marziyeh", "Marzieh"; "مرضیه"),
    n!("Shabnam", "Shabnum", "Chabnam"; "شبنم"),
    n!("Parwana", "Parvaneh", "Parwaneh"; "پروانه"),
    n!("Farzana", "Farzaneh", "Farzanah"; "فرزانه"),
    n!("Mahsa", "Mahssa", "Mahsaa"; "مهسا"),
    n!("Somaya", "Sumaya", "Somayeh"; "سمیه"),
    n!("Nilofar", "Nilufar", "Niloofar"; "نیلوفر"),
    n!("Hadia", "Hadiya", "Hadiyeh"; "هدیه"),
    n!("Masuma", "Masoumeh", "Masooma"; "معصومه"),
];

const AF_FAMILY: &[Name] = &[
    n!("Ahmadi", "Ahmady", "Ahmedi"; "احمدی"),
    n!("Mohammadi", "Muhammadi", "Mohamadi"; "محمدی"),
    n!("Rahimi", "Raheemi", "Rahimy"; "رحیمی"),
    n!("Hussaini", "Hosseini", "Husseini", "Hussainy"; "حسینی"),
    n!("Karimi", "Kareemi", "Karimy"; "کریمی"),
    n!("Amiri", "Ameeri", "Amiry"; "امیری"),
    n!("Hakimi", "Hakeemi", "Hakimy"; "حکیمی"),
    n!("Noori", "Nouri", "Nuri"; "نوری"),
    n!("Sultani", "Soltani", "Sultany"; "سلطانی"),
    n!("Rezaei", "Rezai", "Rezaie", "Rezayi"; "رضایی"),
    n!("Jafari", "Jafary", "Djafari", "Jaafari"; "جعفری"),
    n!("Azizi", "Azeezi", "Azizy"; "عزیزی"),
    n!("Haidari", "Heydari", "Haydari", "Haideri"; "حیدری"),
    n!("Nazari", "Nazary", "Nazarie"; "نظری"),
    n!("Sharifi", "Shareefi", "Charifi"; "شریفی"),
    n!("Habibi", "Habeebi", "Habiby"; "حبیبی"),
    n!("Akbari", "Akbary", "Akbarie"; "اکبری"),
    n!("Safi", "Safee", "Saafi"; "صافی"),
    n!("Wardak", "Wardag", "Vardak"; "وردک"),
    n!("Stanikzai", "Stanekzai", "Stanakzai"; "ستانکزی"),
    n!("Popal", "Popall", "Poopal"; "پوپل"),
    n!("Sadat", "Saadat", "Sadaat"; "سادات"),
    n!("Hashimi", "Hashemi", "Hashimy"; "هاشمی"),
    n!("Qaderi", "Ghaderi", "Kaderi", "Qadiri"; "قادری"),
    n!("Samadi", "Samady", "Samadie"; "صمدی"),
    n!("Rasuli", "Rasouli", "Rasooli"; "رسولی"),
    n!("Alizada", "Alizadeh", "Alizade"; "علیزاده"),
    n!("Mohammadzai", "Mohammadzay", "Muhammadzai"; "محمدزی"),
    n!("Yousufzai", "Yousafzai", "Yusufzai"; "یوسفزی"),
];

const SY_MALE: &[Name] = &[
    n!("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad"; "محمد"),
    n!("Ahmad", "Ahmed", "Ahmet"; "أحمد"),
    n!("Ali", "Aly", "Alí"; "علي"),
    n!("Omar", "Umar", "Omer"; "عمر"),
    n!("Hassan", "Hasan", "Hacen"; "حسن"),
    n!("Hussein", "Husain", "Houssein", "Hussain"; "حسين"),
    n!("Abdullah", "Abdallah", "Abdulla"; "عبدالله"),
    n!("Khaled", "Khalid", "Chaled"; "خالد"),
    n!("Youssef", "Yousef", "Yusuf", "Yousif"; "يوسف"),
    n!("Ibrahim", "Ebrahim", "Ibraheem"; "إبراهيم"),
    n!("Mustafa", "Moustafa", "Mostafa"; "مصطفى"),
    n!("Mahmoud", "Mahmud", "Mahmood"; "محمود"),
    n!("Amer", "Aamer", "Ammer"; "عامر"),
    n!("Bilal", "Belal", "Bilel"; "بلال"),
    n!("Hamza", "Hamzah", "Hamsa"; "حمزة"),
    n!("Yassin", "Yasin", "Yaseen", "Yacine"; "ياسين"),
    n!("Saeed", "Said", "Sa'id"; "سعيد"),
    n!("Tarek", "Tariq", "Tarik"; "طارق"),
    n!("Rami", "Ramy", "Ramie"; "رامي"),
    n!("Ayham", "Aiham", "Eyham"; "أيهم"),
    n!("Mohannad", "Muhannad", "Mohanad"; "مهند"),
    n!("Abdulrahman", "Abdelrahman", "Abdul Rahman", "Abderrahmane"; "عبد الرحمن"),
    n!("Osama", "Usama", "Oussama"; "أسامة"),
    n!("Anas", "Anass", "Annas"; "أنس"),
    n!("Majd", "Majed", "Madjd"; "مجد"),
    n!("Wael", "Wail", "Waiel"; "وائل"),
    n!("Karam", "Karram", "Kram"; "كرم"),
];

const SY_FEMALE: &[Name] = &[
    n!("Fatima", "Fatma", "Fatimah"; "فاطمة"),
    n!("Aya", "Aaya", "Ayah"; "آية"),
    n!("Nour", "Noor", "Nur"; "نور"),
    n!("Maryam", "Mariam", "Mariyam"; "مريم"),
    n!("Hiba", "Heba", "Hibah"; "هبة"),
    n!("Rama", "Ramah", "Raama"; "راما"),
    n!("Lana", "Lanah", "Laana"; "لانا"),
    n!("Sara", "Sarah", "Sarra"; "سارة"),
    n!("Rawan", "Rawaan", "Rowan"; "روان"),
    n!("Hala", "Halah", "Haala"; "هالة"),
    n!("Bayan", "Baian", "Bayane"; "بيان"),
    n!("Aisha", "Aicha", "Aysha", "Ayesha"; "عائشة"),
    n!("Zainab", "Zeinab", "Zaynab"; "زينب"),
    n!("Dania", "Daniya", "Danya"; "دانيا"),
    n!("Lujain", "Loujain", "Lujayn"; "لجين"),
];

const SY_FAMILY: &[Name] = &[
    n!("Al-Ahmad", "Alahmad", "Al Ahmad", "El Ahmad"; "الأحمد"),
    n!("Al-Hassan", "Alhassan", "Al Hasan"; "الحسن"),
    n!("Al-Ali", "Alali", "Al Ali"; "العلي"),
    n!("Al-Khatib", "Alkhatib", "El Khatib", "Al Khateeb"; "الخطيب"),
    n!("Haddad", "Hadad", "Al-Haddad"; "حداد"),
    n!("Al-Masri", "Almasri", "El Masry"; "المصري"),
    n!("Hamoud", "Hammoud", "Hamud"; "حمود"),
    n!("Khalil", "Khaleel", "Halil"; "خليل"),
    n!("Darwish", "Darwiche", "Derwish"; "درويش"),
    n!("Al-Halabi", "Alhalabi", "Halabi"; "الحلبي"),
    n!("Kurdi", "Al-Kurdi", "Kurdy"; "كردي"),
    n!("Al-Najjar", "Najjar", "Alnajjar", "Al Najar"; "النجار"),
    n!("Saleh", "Salih", "Saleeh"; "صالح"),
    n!("Othman", "Osman", "Uthman", "Otman"; "عثمان"),
    n!("Al-Sayed", "Alsayed", "El Sayed", "Al Sayyid"; "السيد"),
    n!("Mansour", "Mansur", "Mansoor"; "منصور"),
    n!("Al-Hussein", "Alhussein", "Al Husain"; "الحسين"),
    n!("Hamdan", "Hamdane", "Hamdaan"; "حمدان"),
    n!("Al-Omar", "Alomar", "Al Umar"; "العمر"),
    n!("Ismail", "Ismaeel", "Esmail"; "إسماعيل"),
    n!("Al-Shami", "Alshami", "El Chami"; "الشامي"),
    n!("Suleiman", "Sulaiman", "Soliman", "Sleiman"; "سليمان"),
    n!("Al-Abdullah", "Alabdullah", "Al Abdallah"; "العبدالله"),
    n!("Qasim", "Kassem", "Qassem", "Kasim"; "قاسم"),
    n!("Al-Jasem", "Aljasem", "Al Jassem"; "الجاسم"),
];

const MA_MALE: &[Name] = &[
    n!("Mohamed", "Mohammed", "Mouhamed", "Muhammad"; "محمد"),
    n!("Youssef", "Youcef", "Yusuf", "Yousef"; "يوسف"),
    n!("Ayoub", "Ayyoub", "Ayub"; "أيوب"),
    n!("Hamza", "Hamzah", "Hamsa"; "حمزة"),
    n!("Amine", "Amin", "Ameen"; "أمين"),
    n!("Mehdi", "Mahdi", "Mehdy"; "مهدي"),
    n!("Anas", "Anass", "Annas"; "أنس"),
    n!("Zakaria", "Zakariya", "Zakariae"; "زكرياء"),
    n!("Achraf", "Ashraf", "Achrafe"; "أشرف"),
    n!("Ilyas", "Ilias", "Elias", "Ilyass"; "إلياس"),
    n!("Othmane", "Otmane", "Outhmane"; "عثمان"),
    n!("Soufiane", "Sofiane", "Sufyan", "Soufyane"; "سفيان"),
    n!("Bilal", "Billal", "Belal"; "بلال"),
    n!("Adam", "Adame", "Aadam"; "آدم"),
    n!("Walid", "Oualid", "Waleed"; "وليد"),
    n!("Nabil", "Nabeel", "Nabile"; "نبيل"),
    n!("Reda", "Rida", "Ridha"; "رضا"),
    n!("Khalid", "Khaled", "Khalide"; "خالد"),
    n!("Abdelali", "Abdel Ali", "Abdelaali"; "عبد العالي"),
    n!("Said", "Saïd", "Saeed"; "سعيد"),
    n!("Karim", "Kareem", "Karime"; "كريم"),
    n!("Ismail", "Smail", "Ismael"; "إسماعيل"),
    n!("Tarik", "Tarek", "Tariq"; "طارق"),
    n!("Brahim", "Ibrahim", "Brahime"; "إبراهيم"),
    n!("Yassine", "Yassin", "Yacine"; "ياسين"),
];

const MA_FEMALE: &[Name] = &[
    n!("Fatima Zahra", "Fatima-Zahra", "Fatimazahra", "Fatim Zahra"; "فاطمة الزهراء"),
    n!("Khadija", "Khadidja", "Khadeeja"; "خديجة"),
    n!("Salma", "Selma", "Salmaa"; "سلمى"),
    n!("Imane", "Iman", "Eman"; "إيمان"),
    n!("Hajar", "Hadjar", "Hagar"; "هاجر"),
    n!("Meryem", "Maryam", "Meriem"; "مريم"),
    n!("Sara", "Sarah", "Sarra"; "سارة"),
    n!("Aya", "Aaya", "Ayah"; "آية"),
    n!("Chaimae", "Chaima", "Shaima"; "شيماء"),
    n!("Hiba", "Heba", "Hibah"; "هبة"),
    n!("Oumaima", "Oumayma", "Umaima"; "أميمة"),
    n!("Zineb", "Zainab", "Zeineb"; "زينب"),
    n!("Noura", "Nora", "Nourah"; "نورة"),
    n!("Houda", "Huda", "Hoda"; "هدى"),
    n!("Kawtar", "Kaoutar", "Kawthar"; "كوثر"),
];

const MA_FAMILY: &[Name] = &[
    n!("El Idrissi", "Idrissi", "El Idrisi", "Alidrissi"; "الإدريسي"),
    n!("Benali", "Ben Ali", "Ben-Ali"; "بن علي"),
    n!("El Amrani", "Amrani", "Elamrani"; "العمراني"),
    n!("Bennani", "Benani", "Bennany"; "بناني"),
    n!("El Alaoui", "Alaoui", "Alawi", "Elalaoui"; "العلوي"),
    n!("Tazi", "Ettazi", "Attazi"; "التازي"),
    n!("Benjelloun", "Ben Jelloun", "Benjeloun"; "بنجلون"),
    n!("Bouzid", "Bouzide", "Bu Zeid"; "بوزيد"),
    n!("El Fassi", "Fassi", "Elfassi"; "الفاسي"),
    n!("Berrada", "Berada", "Berrade"; "برادة"),
    n!("Chakir", "Shakir", "Chaker"; "شاكر"),
    n!("Ziani", "Zyani", "Ezziani"; "الزياني"),
    n!("El Mansouri", "Mansouri", "Elmansouri"; "المنصوري"),
    n!("Boukhari", "Bukhari", "El Boukhari"; "البخاري"),
    n!("Lahlou", "Lahlu", "Lahlouh"; "لحلو"),
    n!("Ouazzani", "El Ouazzani", "Wazzani"; "الوزاني"),
    n!("Rachidi", "Errachidi", "Rashidi"; "الرشيدي"),
    n!("El Ouardi", "Ouardi", "El Wardi"; "الوردي"),
    n!("Bakkali", "El Bakkali", "Baqali"; "البقالي"),
    n!("El Hajji", "Hajji", "Hadji"; "الحاجي"),
    n!("Azzouzi", "El Azzouzi", "Azouzi"; "العزوزي"),
    n!("Belhaj", "Belhadj", "Bel Hadj"; "بلحاج"),
];

const ER_MALE: &[Name] = &[
    n!("Yonas", "Jonas", "Yonass"; "ዮናስ"),
    n!("Semere", "Semre", "Semer"; "ሰመረ"),
    n!("Tesfay", "Tesfai", "Tesfaye"; "ተስፋይ"),
    n!("Abraham", "Abrham", "Abreham"; "ኣብርሃም"),
    n!("Daniel", "Danel", "Danieal"; "ዳኒኤል"),
    n!("Filmon", "Filimon", "Philemon"; "ፊልሞን"),
    n!("Robel", "Robiel", "Rubel"; "ሮቤል"),
    n!("Merhawi", "Merhawie", "Mehrawi"; "መርሃዊ"),
    n!("Mussie", "Musie", "Muse"; "ሙሴ"),
    n!("Kidane", "Kidana", "Kiddane"; "ኪዳነ"),
    n!("Habtom", "Habtum", "Haptom"; "ሃብቶም"),
    n!("Biniam", "Biniyam", "Binyam"; "ቢንያም"),
    n!("Samuel", "Samiel", "Samual"; "ሳሙኤል"),
    n!("Yohannes", "Yohanes", "Johannes", "Yohanis"; "ዮሃንስ"),
    n!("Tekle", "Tekele", "Tekkle"; "ተኽለ"),
    n!("Amanuel", "Emmanuel", "Amanuael"; "ኣማኑኤል"),
    n!("Natnael", "Nathnael", "Natanael"; "ናትናኤል"),
    n!("Yosief", "Yosef", "Yoseph"; "ዮሴፍ"),
    n!("Henok", "Hanok", "Enoch"; "ሄኖክ"),
    n!("Efrem", "Ephrem", "Ephraim"; "ኤፍረም"),
    n!("Dawit", "David", "Dawitt"; "ዳዊት"),
    n!("Mikael", "Michael", "Mikiel"; "ሚካኤል"),
    n!("Aron", "Aaron", "Haron"; "ኣሮን"),
    n!("Medhanie", "Medhane", "Medhani"; "መድሃኔ"),
    n!("Goitom", "Goytom", "Goitiom"; "ጎይቶም"),
];

const ER_FEMALE: &[Name] = &[
    n!("Semhar", "Samhar", "Semhare"; "ሰምሃር"),
    n!("Helen", "Hellen", "Helena"; "ሄለን"),
    n!("Selam", "Salam", "Sellam"; "ሰላም"),
    n!("Luwam", "Luam", "Lwam"; "ሉዋም"),
    n!("Senait", "Senayt", "Sennait"; "ሰናይት"),
    n!("Rahel", "Rachel", "Raheal"; "ራሄል"),
    n!("Saba", "Sabaa", "Sabba"; "ሳባ"),
    n!("Feven", "Fiven", "Fevin"; "ፌቨን"),
    n!("Winta", "Wienta", "Wintta"; "ዊንታ"),
    n!("Yordanos", "Jordanos", "Yordanose"; "ዮርዳኖስ"),
    n!("Mihret", "Mhret", "Mehret"; "ምሕረት"),
    n!("Ruth", "Rut", "Ruta"; "ሩት"),
    n!("Eden", "Edien", "Edan"; "ኤደን"),
    n!("Hiwet", "Hiwot", "Hewet"; "ሕይወት"),
    n!("Lidya", "Lydia", "Lidia"; "ሊድያ"),
];

const ER_FAMILY: &[Name] = &[
    n!("Haile", "Hayle", "Hailé"; "ሃይለ"),
    n!("Gebremedhin", "Ghebremedhin", "Gebremedin"; "ገብረመድህን"),
    n!("Tesfay", "Tesfai", "Tesfaye"; "ተስፋይ"),
    n!("Tekle", "Tekele", "Tekkle"; "ተኽለ"),
    n!("Kidane", "Kidana", "Kiddane"; "ኪዳነ"),
    n!("Berhane", "Birhane", "Berhan"; "ብርሃነ"),
    n!("Ghebreyesus", "Gebreyesus", "Ghebreiesus"; "ገብረየሱስ"),
    n!("Abraha", "Abreha", "Abrha"; "ኣብርሃ"),
    n!("Mebrahtu", "Mebrathu", "Mebrahtou"; "መብራህቱ"),
    n!("Woldu", "Weldu", "Wouldu"; "ወልዱ"),
    n!("Habte", "Hapte", "Habtie"; "ሃብተ"),
    n!("Gebru", "Ghebru", "Gebro"; "ገብሩ"),
    n!("Kahsay", "Kahsai", "Kasay"; "ካሕሳይ"),
    n!("Mehari", "Mehary", "Meharie"; "መሓሪ"),
    n!("Tewolde", "Tewelde", "Tewold"; "ተወልደ"),
    n!("Asmerom", "Asmerome", "Asmerum"; "ኣስመሮም"),
    n!("Negash", "Nagash", "Negashe"; "ነጋሽ"),
    n!("Yemane", "Yemani", "Yemaneh"; "የማነ"),
    n!("Ghirmay", "Girmay", "Ghirmai"; "ግርማይ"),
    n!("Tsegay", "Tsegai", "Tsegaye"; "ጸጋይ"),
    n!("Andemariam", "Andemaryam", "Andemarium"; "ኣንደማርያም"),
    n!("Okbay", "Okbai", "Ukbay"; "ዑቕባይ"),
    n!("Zerai", "Zeray", "Zeraï"; "ዘርኣይ"),
    n!("Russom", "Rusom", "Russum"; "ሩሶም"),
    n!("Fisehaye", "Fissehaye", "Fsehaye"; "ፍስሃየ"),
];

const SO_MALE: &[Name] = &[
    n!("Mohamed", "Mohammed", "Maxamed", "Mohamad"),
    n!("Abdirahman", "Abdulrahman", "Cabdiraxmaan", "Abdurahman"),
    n!("Abdullahi", "Abdulahi", "Cabdullaahi", "Abdillahi"),
    n!("Ahmed", "Axmed", "Ahmad"),
    n!("Ali", "Cali", "Aly"),
    n!("Hassan", "Xasan", "Hasan"),
    n!("Abdi", "Cabdi", "Abdy"),
    n!("Omar", "Cumar", "Umar"),
    n!("Yusuf", "Yuusuf", "Yousuf"),
    n!("Ibrahim", "Ibraahim", "Ibrahin"),
    n!("Abdiaziz", "Abdulaziz", "Cabdicasiis"),
    n!("Mustafe", "Mustafa", "Mustaf"),
    n!("Said", "Saciid", "Saeed"),
    n!("Liban", "Libaan", "Leban"),
    n!("Guled", "Guuled", "Gulled"),
    n!("Abdikarim", "Cabdikariim", "Abdulkarim"),
    n!("Mahad", "Mahaad", "Mohad"),
    n!("Hamse", "Xamse", "Hamza"),
    n!("Bashir", "Bashiir", "Beshir"),
    n!("Khalid", "Khaalid", "Kalid"),
];

const SO_FEMALE: &[Name] = &[
    n!("Hodan", "Xodan", "Hodon"),
    n!("Fadumo", "Faadumo", "Fatuma", "Fadoumo"),
    n!("Amina", "Aamina", "Ameena"),
    n!("Ayaan", "Ayan", "Ayaana"),
    n!("Hibo", "Hibaa", "Hiboo"),
    n!("Sahra", "Sahro", "Zahra"),
    n!("Ifrah", "Ifraah", "Ifra"),
    n!("Nasra", "Nasro", "Nasrah"),
    n!("Hawa", "Xawa", "Hawo"),
    n!("Muna", "Munaa", "Mona"),
    n!("Sagal", "Saagal", "Sagaal"),
    n!("Ikran", "Ikraan", "Ikram"),
    n!("Deeqa", "Deqa", "Dheeqa"),
    n!("Ladan", "Laadan", "Ladon"),
    n!("Warsan", "Warsaan", "Warson"),
];

const SO_FAMILY: &[Name] = &[
    n!("Mohamed", "Maxamed", "Mohammed"),
    n!("Ali", "Cali", "Aly"),
    n!("Hassan", "Xasan", "Hasan"),
    n!("Abdi", "Cabdi", "Abdy"),
    n!("Farah", "Faarax", "Farax"),
    n!("Warsame", "Warsama", "Warsamé"),
    n!("Jama", "Jaamac", "Jamac"),
    n!("Osman", "Cismaan", "Othman"),
    n!("Aden", "Aadan", "Adan"),
    n!("Yusuf", "Yuusuf", "Yousuf"),
    n!("Nur", "Nuur", "Noor"),
    n!("Hussein", "Xuseen", "Hussen"),
    n!("Ahmed", "Axmed", "Ahmad"),
    n!("Hersi", "Xirsi", "Hirsi"),
    n!("Egal", "Cigaal", "Igal"),
    n!("Duale", "Ducaale", "Dualeh"),
    n!("Mohamud", "Maxamuud", "Mahmoud"),
    n!("Abdullahi", "Cabdullaahi", "Abdulahi"),
    n!("Ismail", "Ismaaciil", "Ismael"),
    n!("Omar", "Cumar", "Umar"),
    n!("Dahir", "Daahir", "Tahir"),
    n!("Elmi", "Cilmi", "Ilmi"),
    n!("Gedi", "Geedi", "Gheedi"),
    n!("Samatar", "Samater", "Samatter"),
    n!("Musse", "Muuse", "Musa"),
];

const GN_MALE: &[Name] = &[
    n!("Mamadou", "Mamadu", "Mammadou", "Mamadow"),
    n!("Ibrahima", "Ibrahim", "Ibrahimah"),
    n!("Alpha", "Alfa", "Alfah"),
    n!("Amadou", "Ahmadou", "Amadu"),
    n!("Ousmane", "Usman", "Oussmane", "Ousman"),
    n!("Abdoulaye", "Abdulaye", "Abdoulay", "Abdoulai"),
    n!("Boubacar", "Bubacar", "Aboubacar", "Boubakar"),
    n!("Mohamed", "Mohammed", "Mouhamed"),
    n!("Souleymane", "Suleyman", "Soulemane", "Sulaiman"),
    n!("Thierno", "Tierno", "Cherno"),
    n!("Sekou", "Sékou", "Seku"),
    n!("Moussa", "Musa", "Mousa"),
    n!("Lamine", "Lamin", "Alamine"),
    n!("Oumar", "Umar", "Omar"),
    n!("Aliou", "Aliu", "Alliou", "Alioune"),
    n!("Saliou", "Saliu", "Salliou"),
    n!("Mamoudou", "Mahmoudou", "Mamudu"),
    n!("Issiaga", "Issiagha", "Isiaga"),
    n!("Fode", "Fodé", "Fodeh"),
    n!("Elhadj", "El Hadj", "Alhaji", "Elhadji"),
];

const GN_FEMALE: &[Name] = &[
    n!("Mariama", "Mariame", "Mariam"),
    n!("Fatoumata", "Fatumata", "Fatoumatta", "Fatimata"),
    n!("Aissatou", "Aïssatou", "Aysatu", "Aissata"),
    n!("Kadiatou", "Kadiatu", "Khadiatou"),
    n!("Hawa", "Haoua", "Awa"),
    n!("Aminata", "Aminatta", "Aminatou"),
    n!("Fanta", "Fantah", "Fantha"),
    n!("Djenabou", "Jenabu", "Dienabou"),
    n!("Mariatou", "Mariatu", "Mariyatou"),
    n!("Hadja", "Hadjha", "Haja"),
    n!("Binta", "Bintou", "Bintu"),
    n!("Oumou", "Umu", "Oumo"),
    n!("Ramatoulaye", "Ramatulaye", "Ramatoulay"),
    n!("Néné", "Nene", "Nenen"),
    n!("Safiatou", "Safiatu", "Safiyatou"),
];

const GN_FAMILY: &[Name] = &[
    n!("Diallo", "Jallow", "Djallo", "Dialo"),
    n!("Bah", "Ba", "Baa"),
    n!("Barry", "Bari", "Barrie"),
    n!("Sow", "Sowe", "Sao"),
    n!("Camara", "Kamara", "Camarah"),
    n!("Condé", "Conde", "Kondé", "Konde"),
    n!("Touré", "Toure", "Turay"),
    n!("Keita", "Keïta", "Keyta"),
    n!("Sylla", "Silla", "Sila"),
    n!("Traoré", "Traore", "Trawore"),
    n!("Cissé", "Cisse", "Sisse"),
    n!("Baldé", "Balde", "Baldeh"),
    n!("Soumah", "Sumah", "Souma"),
    n!("Doumbouya", "Dumbuya", "Doumbouyah"),
    n!("Kourouma", "Kuruma", "Kouroumah"),
    n!("Bangoura", "Bangura", "Bangoora"),
    n!("Kaba", "Kabba", "Kabah"),
    n!("Fofana", "Fofanah", "Fofona"),
    n!("Sangaré", "Sangare", "Sangarey"),
    n!("Diakité", "Diakite", "Jakite"),
    n!("Sidibé", "Sidibe", "Sidibeh"),
    n!("Kanté", "Kante", "Kanteh"),
    n!("Chérif", "Cherif", "Sharif"),
    n!("Kouyaté", "Kouyate", "Kuyateh"),
    n!("Millimono", "Milimono", "Millimouno"),
];

/// Every population, with its weight.
pub const POPULATIONS: &[Population] = &[
    Population {
        country: "AF",
        weight: 40,
        script: Some("Arab"),
        original_script_share: 0.35,
        languages: &["prs", "ps"],
        male: AF_MALE,
        female: AF_FEMALE,
        family: AF_FAMILY,
    },
    Population {
        country: "ER",
        weight: 15,
        script: Some("Ethi"),
        original_script_share: 0.40,
        languages: &["ti", "ar"],
        male: ER_MALE,
        female: ER_FEMALE,
        family: ER_FAMILY,
    },
    Population {
        country: "SY",
        weight: 12,
        script: Some("Arab"),
        original_script_share: 0.45,
        languages: &["ar", "ku"],
        male: SY_MALE,
        female: SY_FEMALE,
        family: SY_FAMILY,
    },
    Population {
        country: "GN",
        weight: 12,
        script: None,
        original_script_share: 0.0,
        languages: &["ff", "fr"],
        male: GN_MALE,
        female: GN_FEMALE,
        family: GN_FAMILY,
    },
    Population {
        country: "MA",
        weight: 11,
        script: Some("Arab"),
        original_script_share: 0.20,
        languages: &["ar", "fr"],
        male: MA_MALE,
        female: MA_FEMALE,
        family: MA_FAMILY,
    },
    Population {
        country: "SO",
        weight: 10,
        script: None,
        original_script_share: 0.0,
        languages: &["so", "ar"],
        male: SO_MALE,
        female: SO_FEMALE,
        family: SO_FAMILY,
    },
];

/// How many distinct names the tables hold (given and family names of every population).
pub fn name_count() -> usize {
    POPULATIONS
        .iter()
        .map(|p| p.male.len() + p.female.len() + p.family.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_well_formed() {
        assert!(name_count() >= 300, "{}", name_count());
        for p in POPULATIONS {
            for name in p.male.iter().chain(p.female).chain(p.family) {
                assert!(!name.latin.is_empty());
                assert!(name.latin.iter().all(|s| !s.trim().is_empty()));
                let mut spellings = name.latin.to_vec();
                spellings.sort_unstable();
                spellings.dedup();
                assert_eq!(spellings.len(), name.latin.len(), "{:?}", name.latin);
                assert_eq!(
                    name.native.is_some(),
                    p.script.is_some(),
                    "{:?}",
                    name.latin
                );
            }
        }
    }
}
