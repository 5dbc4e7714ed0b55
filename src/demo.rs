//! The synthetic Kabupaten Cirebon scenario used by `padan demo`, the tests and the
//! benchmarks. Deterministic for a given seed.
//!
//! # Population
//!
//! `people` distinct synthetic persons, generated family by family (1-7 members: head,
//! spouse, children, sometimes a grandparent) in the 424 desa/kelurahan of
//! `data/wilayah_3209.csv`. Every person has a valid NIK `32 09 CC DDMMYY SSSS` (women's day
//! +40; `CC` the kecamatan of registration, which for 10% of people is not the kecamatan
//! they live in; serial from 0001, unique per kecamatan, date and sex), a No. KK shared by
//! the family (`32 09 CC` + issue date `DDMMYY` 2005-2024 + serial), a name from
//! Javanese/Sundanese/Arabic-Indonesian pools (single words are common for people born
//! before 1960, two or three words otherwise; some canonical names keep the old spelling,
//! e.g. DJUANDA, SOEPARMAN, TJARMAN), a birth date 1935-2024, an address (RT/RW, blok or
//! dusun), a birthplace and a DTKS desil (1-4, per family).
//!
//! Canonical old spellings (DJ, TJ, OE, CH) only occur for people born before 1972.
//!
//! People born before 1970: 3% have a Dukcapil stand-in birth date (1 July or 31 December)
//! everywhere, and 1% have the stand-in only inside their NIK while the lists show the real
//! birth date (a NIK/birth-date disagreement that is *not* an error of the list).
//! About 0.3% of people form pairs of DIFFERENT persons with the same name, sex and birth
//! date, on purpose, so that linking on name and birth date alone makes false matches.
//! Common names add natural collisions: with 1.9 million people, 0.8% of people share their
//! canonical name, sex and birth date with someone else (0.3% on purpose, 0.5% natural).
//!
//! # Lists
//!
//! | party  | file            | share of people | delimiter | encoding         | line end |
//! |--------|-----------------|-----------------|-----------|------------------|----------|
//! | dtks   | dtks.csv        | ~80% (families) | `,`       | UTF-8            | LF       |
//! | dinkes | dinkes_pbi.csv  | ~30%            | `;`       | UTF-8            | CRLF     |
//! | disdik | disdik_pip.csv  | ~20% (children) | tab       | UTF-8            | LF       |
//! | dpmd   | dpmd_blt.csv    | ~15% (adults)   | `\|`      | Windows-1252     | CRLF     |
//! | baznas | baznas.csv      | ~5% (adults)    | `,`       | UTF-8 with BOM   | CRLF     |
//!
//! DTKS holds whole families (81% of families, 98.5% of their members). Each office list
//! draws ~90% of its people from DTKS members and ~10% from people NOT in DTKS (the
//! exclusion errors the exercise is about). Disdik takes mostly people born 2003-2019
//! (students; ~5% adult learners), dpmd mostly family heads, baznas adults, more often old
//! people and women heading a family. Rows are shuffled. Each list then adds ~1% exact
//! duplicate rows and ~0.5% near duplicates (the same person entered again, rendered
//! independently, with another local id).
//!
//! Columns and formats (see [`FORMATS`]):
//! - dtks: `ID_DTKS,NIK,NO_KK,NAMA,JENIS_KELAMIN,TGL_LAHIR,ALAMAT,RT,RW,DESA_KELURAHAN,
//!   KECAMATAN,DESIL_KESEJAHTERAAN`; dates `dd-mm-yyyy`; sex `LAKI-LAKI`/`PEREMPUAN`;
//!   ID_DTKS is a stable 14-digit local id.
//! - dinkes: `NO_KARTU;NIK_ART;NOMOR_KK;NAMA_ART;JK;TTL;ALAMAT;KELURAHAN;KECAMATAN;FASKES`;
//!   TTL is place and date, `CIREBON, 17-08-1945`; sex `L`/`P`; NO_KARTU is a 13-digit
//!   JKN card number with leading zeros.
//! - disdik: `NISN, NO_NIK, NAMA PESERTA, JENIS_KELAMIN, TEMPAT_LAHIR, TANGGAL_LAHIR,
//!   NAMA_IBU_KANDUNG, SEKOLAH, KELAS, DESA, KECAMATAN`; dates `17 AGUSTUS 1945` (day not
//!   padded half the time, PEBRUARI/NOPEMBER spellings); sex `LAKI-LAKI`/`PEREMPUAN`;
//!   NISN is a 10-digit student number; NAMA_IBU_KANDUNG is a second name column (the
//!   mother's), a trap for column detection.
//! - dpmd: `NIK KPM|NAMA KPM|JK|TGL_LAHIR|NOKK|ALAMAT|RT/RW|DESA|KECAMATAN|KATEGORI`;
//!   dates `yyyy-mm-dd`; sex `1`/`2`; no local id. Non-ASCII characters (É in ANDRÉ/RENÉ,
//!   `–` in addresses, NBSP in NIKs) are single Windows-1252 bytes.
//! - baznas: `NO_REG,NIK,NAMA_LENGKAP,JENIS_KELAMIN,TEMPAT/TGL LAHIR,ALAMAT,DESA,KECAMATAN,
//!   NO_HP,ASNAF,PROGRAM`; TEMPAT/TGL LAHIR `CIREBON, 17/08/1945`; sex `PRIA`/`WANITA`;
//!   NO_REG is a stable local id; NO_HP sometimes starts with `+62` (formula-looking).
//!
//! # Dirt
//!
//! Per-row rates; the *base* rates below are multiplied by the list's factor `m`
//! (dtks 0.6, dinkes 1.0, disdik 0.8, dpmd 1.2, baznas 1.4) unless marked fixed.
//!
//! NIK cell (at most one of these):
//! - empty (`""`, `-`, `0`): 1.5%
//! - placeholder (1234567890123456, 0000000000000000, 1111111111111111, 9999999999999999,
//!   3209000000000000): 0.3%
//! - the No. KK instead of the NIK: 0.3%
//! - one mistyped digit or two swapped digits, still a well-formed NIK (often someone
//!   else's real NIK: the hard case): 0.4%
//! - baznas only, fixed: scientific notation `3.20901E+15` 6%; 15-significant-digit damage
//!   (last digit replaced by 0, mostly giving serial 0000) 1%
//! - otherwise formatting only (leading `'` or backtick, dots, dashes, spaces, NBSP, spaces
//!   around), fixed per list: dtks 3%, dinkes 10%, disdik 3%, dpmd 5%, baznas 6%.
//!
//! No. KK cell (dtks, dinkes, dpmd): empty 2%; formatting at half the NIK rate.
//!
//! Name cell:
//! - filler (`-`, empty, `--`): 0.15% (not recoverable)
//! - a real misspelling (letter substituted, dropped or swapped): 0.6% (not recoverable)
//! - spelling variants undone by DOMAIN.md's rules, 12% (a quarter of those get two):
//!   MUHAMMAD -> M./MUH./MOCH./MOH./MUHAMAD/MOHAMAD/MOCHAMAD/...; AHMAD -> ACHMAD/AKHMAD;
//!   ABDUL -> ABD./ABDOEL; ABDUL RAHMAN <-> ABDURRAHMAN (needs the ABDUL+R assimilation
//!   rule: spaces and doubled letters alone do not unify it); old spelling both ways
//!   (DJ/TJ/OE/CH/NJ/SJ; old spellings are written only for people born before 1975);
//!   Sundanese F/V -> P and Z -> J; AI <-> AE; final H dropped after A or I; final Y <-> I;
//!   a doubled letter written single; NUR/SRI/DWI/TRI/EKA joined to the next word or
//!   NURHAYATI-style compounds split.
//! - BIN/BINTI + father's name (age 17+): 1.5% (baznas 3%)
//! - titles (age 18+): 6%: H./HJ./HAJI/KH./UST., BPK./IBU/NY./SDR./SDRI./NN./TN.,
//!   ALM./ALMH./ALMARHUM(AH), DRS./DRA./DR./IR., suffixes such as `, S.Pd`, ` S.Pd.I`,
//!   `, S.E.`, ` SE`, `, S. Pd`, `, A.Md`, `, M.Pd` (a tenth get two titles)
//! - case, fixed per list (lower / Title): dtks 1%/2%, dinkes 2%/4%, disdik 3%/35%,
//!   dpmd 2%/5%, baznas 3%/30%
//! - extra spaces (doubled inside, leading, trailing): 4%
//!
//! Birth date: missing (`""`, `-`, `00-00-0000`) 1%; a typo (digits swapped, day/month
//! +-1, year digit, day and month swapped), so it disagrees with the NIK: 0.6%; written in
//! another format than the list's own: 2%; dpmd only: an Excel serial number 1%.
//!
//! Sex: empty 0.5%; the wrong sex 0.2%; written in another convention (L/P, LAKI-LAKI,
//! Laki-laki, PRIA/WANITA, 1/2, M/F, `L.`, lower case): 2%.
//!
//! Address: office rows of people who moved (another desa, kecamatan, RT/RW): 1%; ALAMAT
//! with a comma 3%, with `–` 1%, filler `-` 1%; fixed: with a quoted `"` 0.1%, with a
//! newline 0.1%, starting like a formula (`=`, `+62...`, `-`, `@`) 0.05%.
//!
//! # What a matcher should know
//!
//! The NIK is the best key: after stripping formatting, ~97% of office rows (~90% in
//! baznas) carry the person's true NIK. A few well-formed NIKs are wrong (one mistyped
//! digit, 15-digit damage), so a NIK match whose name and birth date disagree deserves a
//! look. Name + birth date (after normalization) rescues most rows whose NIK is unusable,
//! but is NOT unique (same-name same-birth-date pairs, stand-in dates). Sex, desa and
//! kecamatan are mostly right (kecamatan of residence, not the NIK's). No. KK is a family
//! key, never a person key. Rows that no exact rule can recover (an unusable or wrong NIK on
//! either side AND an unrecoverable name or date on either side) stay well under 2% of the
//! office rows of DTKS members (checked by a test; measured with 1.9 million people:
//! dinkes 0.14%, disdik 0.11%, dpmd 0.18%, baznas 0.55%), assuming the normalizer handles
//! every variant listed above (including the ambiguous `M.` for MUHAMMAD and `H.` as a
//! title).

use std::io::{self, Write};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The demo's data-holding parties: (party id, display name, file name).
/// The first is the reference list (DTKS).
pub const LISTS: &[(&str, &str, &str)] = &[
    ("dtks", "Dinas Sosial (DTKS)", "dtks.csv"),
    ("dinkes", "Dinas Kesehatan (PBI-JK)", "dinkes_pbi.csv"),
    ("disdik", "Dinas Pendidikan (PIP)", "disdik_pip.csv"),
    ("dpmd", "DPMD (BLT Dana Desa)", "dpmd_blt.csv"),
    ("baznas", "Baznas", "baznas.csv"),
];

/// Configuration of one scenario.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// Number of distinct people in the population the lists draw from.
    pub people: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct DemoManifest {
    /// (party id, file name, data rows written)
    pub lists: Vec<(String, String, u64)>,
    /// Rows in `truth.csv`.
    pub truth_rows: u64,
}

/// How one demo list is written.
#[derive(Clone, Copy, Debug)]
pub struct ListFormat {
    /// Party id, as in [`LISTS`].
    pub party: &'static str,
    pub delimiter: u8,
    /// `utf-8` or `windows-1252`.
    pub encoding: &'static str,
    /// Starts with a UTF-8 byte-order mark.
    pub bom: bool,
    /// Records end with CRLF (else LF).
    pub crlf: bool,
    /// The header row.
    pub columns: &'static [&'static str],
    /// Normalized field name (as in `pipeline::InputOptions::columns`: `nik`, `name`,
    /// `birth_date`, `place_birth_date`, `sex`, `no_kk`, `kecamatan`, `desa`) -> header.
    pub fields: &'static [(&'static str, &'static str)],
    /// The list's own stable row id column, if it has one.
    pub local_id: Option<&'static str>,
}

/// The format of every list, in the order of [`LISTS`].
pub const FORMATS: &[ListFormat] = &[
    ListFormat {
        party: "dtks",
        delimiter: b',',
        encoding: "utf-8",
        bom: false,
        crlf: false,
        columns: &[
            "ID_DTKS",
            "NIK",
            "NO_KK",
            "NAMA",
            "JENIS_KELAMIN",
            "TGL_LAHIR",
            "ALAMAT",
            "RT",
            "RW",
            "DESA_KELURAHAN",
            "KECAMATAN",
            "DESIL_KESEJAHTERAAN",
        ],
        fields: &[
            ("nik", "NIK"),
            ("no_kk", "NO_KK"),
            ("name", "NAMA"),
            ("sex", "JENIS_KELAMIN"),
            ("birth_date", "TGL_LAHIR"),
            ("desa", "DESA_KELURAHAN"),
            ("kecamatan", "KECAMATAN"),
        ],
        local_id: Some("ID_DTKS"),
    },
    ListFormat {
        party: "dinkes",
        delimiter: b';',
        encoding: "utf-8",
        bom: false,
        crlf: true,
        columns: &[
            "NO_KARTU",
            "NIK_ART",
            "NOMOR_KK",
            "NAMA_ART",
            "JK",
            "TTL",
            "ALAMAT",
            "KELURAHAN",
            "KECAMATAN",
            "FASKES",
        ],
        fields: &[
            ("nik", "NIK_ART"),
            ("no_kk", "NOMOR_KK"),
            ("name", "NAMA_ART"),
            ("sex", "JK"),
            ("place_birth_date", "TTL"),
            ("desa", "KELURAHAN"),
            ("kecamatan", "KECAMATAN"),
        ],
        local_id: Some("NO_KARTU"),
    },
    ListFormat {
        party: "disdik",
        delimiter: b'\t',
        encoding: "utf-8",
        bom: false,
        crlf: false,
        columns: &[
            "NISN",
            "NO_NIK",
            "NAMA PESERTA",
            "JENIS_KELAMIN",
            "TEMPAT_LAHIR",
            "TANGGAL_LAHIR",
            "NAMA_IBU_KANDUNG",
            "SEKOLAH",
            "KELAS",
            "DESA",
            "KECAMATAN",
        ],
        fields: &[
            ("nik", "NO_NIK"),
            ("name", "NAMA PESERTA"),
            ("sex", "JENIS_KELAMIN"),
            ("birth_date", "TANGGAL_LAHIR"),
            ("desa", "DESA"),
            ("kecamatan", "KECAMATAN"),
        ],
        local_id: Some("NISN"),
    },
    ListFormat {
        party: "dpmd",
        delimiter: b'|',
        encoding: "windows-1252",
        bom: false,
        crlf: true,
        columns: &[
            "NIK KPM",
            "NAMA KPM",
            "JK",
            "TGL_LAHIR",
            "NOKK",
            "ALAMAT",
            "RT/RW",
            "DESA",
            "KECAMATAN",
            "KATEGORI",
        ],
        fields: &[
            ("nik", "NIK KPM"),
            ("no_kk", "NOKK"),
            ("name", "NAMA KPM"),
            ("sex", "JK"),
            ("birth_date", "TGL_LAHIR"),
            ("desa", "DESA"),
            ("kecamatan", "KECAMATAN"),
        ],
        local_id: None,
    },
    ListFormat {
        party: "baznas",
        delimiter: b',',
        encoding: "utf-8",
        bom: true,
        crlf: true,
        columns: &[
            "NO_REG",
            "NIK",
            "NAMA_LENGKAP",
            "JENIS_KELAMIN",
            "TEMPAT/TGL LAHIR",
            "ALAMAT",
            "DESA",
            "KECAMATAN",
            "NO_HP",
            "ASNAF",
            "PROGRAM",
        ],
        fields: &[
            ("nik", "NIK"),
            ("name", "NAMA_LENGKAP"),
            ("sex", "JENIS_KELAMIN"),
            ("place_birth_date", "TEMPAT/TGL LAHIR"),
            ("desa", "DESA"),
            ("kecamatan", "KECAMATAN"),
        ],
        local_id: Some("NO_REG"),
    },
];

/// The format of one demo list by party id.
pub fn list_format(party: &str) -> Option<&'static ListFormat> {
    FORMATS.iter().find(|f| f.party == party)
}

/// The person id written in `truth.csv` for the person with 0-based index `index`.
pub fn person_id(index: u32) -> String {
    format!("P{:07}", index as u64 + 1)
}

/// Writes every list (`LISTS[i].2`) and `truth.csv` (columns `party,row,person`; `row` is
/// the 1-based data-record number in that party's file, header excluded) through `open`.
pub fn generate(
    cfg: &DemoConfig,
    open: &mut dyn FnMut(&str) -> io::Result<Box<dyn Write>>,
) -> io::Result<DemoManifest> {
    let world = World::build(cfg);
    let mut manifest = DemoManifest::default();
    for (list, &(party, _, file)) in LISTS.iter().enumerate() {
        let out = open(file)?;
        let rows = world.write_list(list, out)?;
        manifest
            .lists
            .push((party.to_string(), file.to_string(), rows));
    }
    let out = open("truth.csv")?;
    manifest.truth_rows = world.write_truth(out)?;
    Ok(manifest)
}

// ---------------------------------------------------------------------------------------
// Constants and small helpers
// ---------------------------------------------------------------------------------------

const WILAYAH_CSV: &str = include_str!("data/wilayah_3209.csv");

const DTKS: usize = 0;
const DINKES: usize = 1;
const DISDIK: usize = 2;
const DPMD: usize = 3;
const BAZNAS: usize = 4;

/// Share of the population in each list (before duplicates).
const LIST_SHARE: [f64; 5] = [0.80, 0.30, 0.20, 0.15, 0.05];
/// Share of an office list's people who are not in DTKS.
const OUTSIDE_DTKS: f64 = 0.10;
const EXACT_DUPLICATES: f64 = 0.01;
const NEAR_DUPLICATES: f64 = 0.005;
/// Share of people in same-name same-birth-date pairs made on purpose.
const TWIN_SHARE: f64 = 0.003;

/// Per-list dirt: multiplier of the base rates, NIK formatting rate, lower-case and
/// title-case rates of names.
struct Dirt {
    m: f64,
    nik_format: f64,
    lower: f64,
    title: f64,
}

const DIRT: [Dirt; 5] = [
    Dirt {
        m: 0.6,
        nik_format: 0.03,
        lower: 0.01,
        title: 0.02,
    },
    Dirt {
        m: 1.0,
        nik_format: 0.10,
        lower: 0.02,
        title: 0.04,
    },
    Dirt {
        m: 0.8,
        nik_format: 0.03,
        lower: 0.03,
        title: 0.35,
    },
    Dirt {
        m: 1.2,
        nik_format: 0.05,
        lower: 0.02,
        title: 0.05,
    },
    Dirt {
        m: 1.4,
        nik_format: 0.06,
        lower: 0.03,
        title: 0.30,
    },
];

/// The lists' "today" (ages are computed for this year).
const REF_YEAR: i32 = 2024;
const FIRST_YEAR: i32 = 1935;
/// Days from 1935-01-01 to 2024-12-31, inclusive.
const N_DAYS: usize = 32_873;
const KK_FIRST_YEAR: i32 = 2005;
/// Days from 2005-01-01 to 2024-12-31, inclusive.
const KK_DAYS: usize = 7_305;

const NONE16: u16 = u16::MAX;
const NONE32: u32 = u32::MAX;
const FEMALE: u8 = 1;
const HEAD: u8 = 2;

/// SplitMix64 finalizer over two values.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection of `0..modulus` (modulus a power of ten): local ids that do not reveal
/// the row or person order.
fn scramble(key: u32, modulus: u64) -> u64 {
    (key as u64 % modulus * 7_919_393 + 4_211_017) % modulus
}

fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i32 + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

fn valid_date(y: i32, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// Day index since 1935-01-01.
fn day_index(y: i32, m: u32, d: u32) -> u16 {
    (days_from_civil(y, m, d) - days_from_civil(FIRST_YEAR, 1, 1)) as u16
}

fn ymd(day: u16) -> (i32, u32, u32) {
    civil_from_days(days_from_civil(FIRST_YEAR, 1, 1) + day as i32)
}

/// Picks an index by integer weights.
fn wpick<R: Rng>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut r = rng.gen_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

fn wpick_str<R: Rng>(rng: &mut R, items: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = items.iter().map(|x| x.1).sum();
    let mut r = rng.gen_range(0..total);
    for &(s, w) in items {
        if r < w {
            return s;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

fn pick<'a, R: Rng>(rng: &mut R, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_alpha = false;
    for ch in s.chars() {
        if ch.is_alphabetic() {
            if prev_alpha {
                out.extend(ch.to_lowercase());
            } else {
                out.extend(ch.to_uppercase());
            }
            prev_alpha = true;
        } else {
            out.push(ch);
            prev_alpha = false;
        }
    }
    out
}

/// Encodes text as Windows-1252. Only the few non-ASCII characters the demo writes are
/// mapped; anything else becomes `?`.
fn encode_cp1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            '\u{A0}' => 0xA0,
            'É' => 0xC9,
            'é' => 0xE9,
            '–' => 0x96,
            _ => b'?',
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Regions
// ---------------------------------------------------------------------------------------

struct Regions {
    /// Kecamatan names, upper case, index = code - 1.
    kec: Vec<String>,
    /// (kecamatan code, desa name upper case).
    desa: Vec<(u8, String)>,
}

impl Regions {
    fn load() -> Regions {
        let mut kec = vec![String::new(); 40];
        let mut desa = Vec::with_capacity(424);
        for line in WILAYAH_CSV.lines().skip(1) {
            let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            if f.len() < 4 || f[0].len() < 6 {
                continue;
            }
            let Ok(k) = f[0][4..6].parse::<u8>() else {
                continue;
            };
            match f[2] {
                "kecamatan" if (1..=40).contains(&k) => kec[k as usize - 1] = f[3].to_uppercase(),
                "desa" | "kelurahan" => desa.push((k, f[3].to_uppercase())),
                _ => {}
            }
        }
        Regions { kec, desa }
    }

    fn kec_name(&self, kec: u8) -> &str {
        &self.kec[kec as usize - 1]
    }
}

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

/// Words grouped by weight: (weight, space-separated words).
type Pool = &'static [(u32, &'static str)];

const M_OLD: usize = 0;
const F_OLD: usize = 1;
const M_ISLAM: usize = 2;
const F_ISLAM: usize = 3;
const M_FIRST: usize = 4;
const F_FIRST: usize = 5;
const M_LAST: usize = 6;
const F_LAST: usize = 7;
const M_MOD: usize = 8;
const F_MOD: usize = 9;
const ABDUL_TAIL: usize = 10;

const POOLS: [Pool; 11] = [
    // M_OLD: single-word names of older Javanese/Cirebon/Sundanese men.
    &[
        (
            3,
            "KASMAN WARSITO SUKARDI TARSIM CARMAN DASUKI SANUSI RASMADI KARTA WARTA SUNARTO \
             SAMSURI DARSONO KUSNADI DJUANDA SOEPARMAN SUMARNO SUPARDI DARMAN RASIM KASIM \
             SAMSUDIN NURDIN MAMAT UDIN ABDULLAH",
        ),
        (
            2,
            "SUPRIATNA SOETRISNO DJOKO TJARMAN DJAENUDIN SOEMARNO KASLAN TASRIP CASMADI \
             WASLAM KARSIDI SARJI TARMIDI KAMALUDIN JAENUDIN ROHIDIN MUKTAR SAHIDI DULAH OMAN \
             ENTANG ENCENG ADANG DJUHRI SOEHARDJO TJASMAN SAPUAN SARIPUDIN SAEFUDIN ZAENUDIN \
             KHAERUDIN SUHAEMI RUSDI MASDUKI MARZUKI ROJALI ABDURRAHMAN JUNAEDI",
        ),
        (1, "CHAERUDIN SUBAGJA KARDI SAMIJAN"),
    ],
    // F_OLD
    &[
        (
            3,
            "WARSINAH DASIMAH SARNIH KASMINAH TARSINAH CARINAH RASINAH KASTINI DARMINI \
             SUNARSIH SUMIATI WARTINI KARSIH TARMINI CASINIH SAMINAH ROKAYAH FATIMAH AMINAH",
        ),
        (
            2,
            "SUTIAH SUPINAH ROHANAH MASITOH SAODAH KHODIJAH MAEMUNAH HALIMAH JUBAEDAH \
             SOEKINAH ENTIN EUIS IMAS ENENG ICIH ONAH NANI YATI ZAENAB",
        ),
        (1, "DJUBAEDAH TJASMINI SOEMIATI OOM TITI MARFUAH"),
    ],
    // M_ISLAM: first words of Arabic-Indonesian men's names.
    &[
        (20, "MUHAMMAD"),
        (12, "AHMAD"),
        (10, "ABDUL"),
        (3, "NUR ZAENAL"),
        (
            2,
            "SAEPUL SYAIFUL IMAM HASAN HUSEN ALI UMAR USMAN YUSUF ISMAIL IBRAHIM SOLEH \
             KHOIRUL RIDWAN",
        ),
        (
            1,
            "MUKHLIS FAHMI FAUZI LUTFI ZAKARIA YAHYA YUNUS MUSA DJAMALUDIN KHAERUL",
        ),
    ],
    // F_ISLAM
    &[
        (20, "SITI"),
        (10, "NUR"),
        (6, "SRI"),
        (4, "DEWI"),
        (3, "NURUL"),
        (2, "UMI NENG ANI TUTI"),
        (1, "YAYAH EUIS ZAHRA"),
    ],
    // M_FIRST: men born 1960-1985.
    &[
        (6, "AGUS"),
        (5, "ASEP"),
        (4, "BUDI DEDI UJANG"),
        (3, "DADANG HERI IWAN"),
        (
            2,
            "YAYAN HENDRA ANDI ADI EKO DWI TRI WAWAN CECEP ENDANG DEDE DENI RUDI SLAMET \
             BAMBANG JOKO YUDI ROHMAT",
        ),
        (
            1,
            "JAJANG DONI SUGENG TEGUH AANG AEP APIP TATANG NANANG TOTO DODI EMAN SUPRIYADI \
             KARYADI ADE ANDRI ARIS BENI DEDEN DIDI DUDI EDI ENDI ERI FERI GUGUN HADI HARIS \
             IMAN IRWAN LUKMAN MAMAN NANA RAHMAT SUHENDI SUPRIADI TATA TONI WAHYU YANA YAYAT \
             KOSIM HAMID MULYADI SUTRISNO SUPRIYANTO TARYONO DARYONO WARSONO SUHENDAR",
        ),
    ],
    // F_FIRST
    &[
        (3, "ENDANG YANTI LILIS"),
        (
            2,
            "TITIN IIS NENENG RINA NINING ELIS SUSI NURHAYATI NURJANAH WATI RATNA IDA YULI \
             FITRI",
        ),
        (
            1,
            "EEM DEDEH KOKOM ROSITA NURLAELA ERNAWATI ATIKAH MULYANI SUMIYATI KURNIASIH YENI \
             HERLINA IMAS ADE CUCU EMAH ENI ENOK ERNA ETI EVI HENI IKA IPAH ITA KIKI LELA \
             LENI LIA LINA MIMIN NINA NOVI NUNUNG RIA ROSMIATI TATI TINI YAYU YUYUN SURYANI \
             NURAENI KOMARIAH WASTI DARSIH",
        ),
    ],
    // M_LAST: second and third words of men's names.
    &[
        (4, "HIDAYAT SAPUTRA"),
        (3, "RAHMAN SETIAWAN KURNIAWAN MAULANA"),
        (
            2,
            "SUPRIATNA HERMAWAN GUNAWAN SANUSI SOLIHIN MULYANA SUHERMAN NURDIN FIRDAUS ROHMAN \
             HAKIM IRAWAN PRASETYO WIJAYA NUGRAHA PERMANA RAMDANI SOFYAN ARIFIN ABDULLAH",
        ),
        (
            1,
            "SANTOSO FAUZI HAMDANI SUBAGJA JUNAEDI ZAENUDIN SYAHRONI KHOIRUDIN MUSTOFA \
             HIDAYATULLAH FATONI ADITAMA ALFARIZI ANSORI BASUKI DARMAWAN EFENDI FAHREZI \
             HAMZAH HARTONO HASANUDIN HENDRAWAN ISKANDAR JUNAIDI KUSUMA LESMANA MAHENDRA \
             MUBAROK MUSLIM NURHADI PURNAMA RAHMAT RIYADI ROSADI SAEPULOH SAFRUDIN SUDRAJAT \
             SUGANDA SUNANDAR SUPRIADI SUTISNA WIBOWO WAHYUDI YULIANTO ZAELANI SURYANA \
             KOSASIH MUNANDAR SETIADI RUSTANDI ZULKIFLI",
        ),
    ],
    // F_LAST
    &[
        (4, "AMINAH FATIMAH"),
        (3, "HAYATI LESTARI SARI RAHMAWATI"),
        (
            2,
            "KHODIJAH MAESAROH ROHMAH JUBAEDAH HALIMAH MARYAM MULYANI RAHAYU WATI HANDAYANI \
             KURNIASIH NURHASANAH ROHAYATI SOLEHA FAUZIAH LATIFAH NINGSIH SUSANTI",
        ),
        (
            1,
            "MASRUROH AFIFAH KHOIRIYAH MARDIYAH SETIAWATI APRIANI YULIANI ANGGRAENI ARDIANTI \
             DAMAYANTI FEBRIYANTI FITRIANI HASANAH HIDAYAH JULIANTI KARTIKA KOMALASARI \
             KUSUMAWATI MAHARANI MARLINA MELATI NOVIANTI NURAINI NURFADILAH OKTAVIANI \
             PERMATASARI PURNAMASARI PRATIWI PUSPITA RAHMADANI RATNASARI SAFITRI SEPTIANA \
             SULISTYAWATI SURYANI UTAMI WAHYUNI WIDIASTUTI YULIANTI ZULAIKHA AGUSTINA MUTIARA \
             ZAENAB",
        ),
    ],
    // M_MOD: men born 1985 and later.
    &[
        (8, "RIZKY"),
        (5, "FAJAR"),
        (4, "ADITYA ILHAM RAMADHAN PRATAMA"),
        (
            3,
            "DIMAS RAFI FARHAN FAUZAN ALIF AKBAR FIRMANSYAH ZIDAN SAPUTRA",
        ),
        (
            2,
            "REZA HAIKAL ARYA DANI GILANG HABIB IQBAL NAUFAL RAFA RAIHAN REHAN RIDHO SYAHRUL \
             YOGA ZAKY ARDIANSYAH FAHRI FIKRI HAFIZ DAFFA",
        ),
        (
            1,
            "BAGUS KEVIN ANDRÉ RENÉ ARKAN AZKA FATIR ABIMANYU ADAM AGIL AHSAN AKMAL ALDI ALDO \
             ALFARIZI ALVIN ANDIKA ANGGA ARFAN ARIF ARIQ ARSYAD ATHALLAH AZRIEL BAYU BIMA \
             BINTANG DAVA DERI DIKI DINO EGI ERLANGGA FADIL FAIZ FAREL FARID FATHAN FEBRI \
             GALANG GALIH HANIF IKHSAN IRFAN JAFAR MAHESA MIFTAH NABIL NANDA NAZRIL NOVAL \
             RADIT RAKA RAMA RANGGA RASYA REVAN RIFKI RIO RIZAL ROBI SAKTI SATRIA SULTAN \
             SURYA SYAHID TAUFIK TEGAR WAHYU ZAHRAN ZAIDAN ZULFIKAR ARJUNA ADRIAN AFRIZAL \
             NUGROHO",
        ),
    ],
    // F_MOD
    &[
        (6, "PUTRI"),
        (4, "AULIA NABILA AISYAH FITRI"),
        (
            3,
            "SALSABILA ZAHRA NAYLA INDAH RAHMA SALMA ANISA ANNISA AYU",
        ),
        (
            2,
            "KEYSHA DINDA FITRIA NOVITA AMELIA KHAIRUNNISA AMALIA NURHALIZA ALYA AZZAHRA \
             LAILA MAULIDA RAMADHANI SEPTIANI WULANDARI SYIFA LESTARI RAHMAWATI",
        ),
        (
            1,
            "CINTA ZAKIYAH ADINDA AINI AIRA ALIFAH ALMIRA ANGGI ANINDYA ARINI AURA AZIZAH \
             BELLA CAHAYA CITRA DEA DELIA DEVI DIANA ELSA ERIKA FARAH FEBRIANTI GINA HANA \
             HANIFAH INTAN IRMA JIHAN KAILA KANIA KARTIKA LINDA MAYA MEGA NADIA NAJWA NASYWA \
             NISA NOVI NURAINI PUSPA QONITA RAISA RANI RATIH RENI RIKA RINI RISMA SABRINA \
             SAFIRA SARAH SELVI SHAFA SINTA SYAHLA TASYA TIARA VINA WIDYA YUNI ZASKIA ZIVANA",
        ),
    ],
    // ABDUL_TAIL: what follows ABDUL.
    &[
        (5, "RAHMAN"),
        (3, "KODIR AZIZ"),
        (2, "MALIK GHOFUR ROHIM HAMID WAHAB LATIF SALAM KARIM ROZAK"),
        (1, "JALIL MUIS"),
    ],
];

/// Syllables for generated single-word Javanese/Cirebon names.
const SYL_PREFIX: &[&str] = &[
    "KAS", "WAR", "TAR", "CAR", "DAR", "RAS", "SAR", "KAR", "TAS", "DAS", "WAS", "SUM", "SUP",
    "SUK", "MAR", "SAN", "RUS", "KUS", "TUR", "CAS", "JUM", "TAM", "SAM", "NAS", "KAM", "WAH",
    "SUR", "RUM", "MUS", "DUL", "RAM", "SAL",
];
const SYL_MALE: &[&str] = &[
    "MAN", "MIN", "MADI", "DI", "TO", "NO", "SIM", "LAN", "RIP", "JI", "TAM", "WI", "RUN", "MUJI",
    "NAWI", "YADI",
];
const SYL_FEMALE: &[&str] = &[
    "NAH", "SIH", "NIH", "MINI", "TINI", "YATI", "SINAH", "MINAH", "TIAH", "RAH", "SI", "NI",
    "WATI", "IYAH",
];

/// NUR-compounds that lists also write as two words.
const NUR_COMPOUNDS: &[&str] = &[
    "NURHAYATI",
    "NURJANAH",
    "NURLAELA",
    "NURHASANAH",
    "NURHALIZA",
];

const MUHAMMAD_VARIANTS: &[(&str, u32)] = &[
    ("MUH.", 14),
    ("MOCH.", 12),
    ("M.", 10),
    ("MOH.", 6),
    ("MUHAMAD", 14),
    ("MOHAMAD", 12),
    ("MOHAMMAD", 10),
    ("MOCHAMAD", 8),
    ("MOCHAMMAD", 4),
    ("MUCHAMAD", 3),
    ("MUCHAMMAD", 2),
    ("MOHAMMED", 1),
    ("MHD", 2),
    ("MOCHAMAT", 1),
    ("MOHD", 1),
];

struct Names {
    words: Vec<String>,
    /// Word index -> the same name in today's spelling (itself when already modern).
    modern: Vec<u16>,
    /// Per pool: (first word index, cumulative weights).
    pools: Vec<(usize, Vec<u32>)>,
}

impl Names {
    fn new() -> Names {
        let mut words = Vec::new();
        let mut pools = Vec::new();
        for (i, pool) in POOLS.iter().enumerate() {
            let mut items: Vec<(String, u32)> = pool
                .iter()
                .flat_map(|&(c, ws)| ws.split_whitespace().map(move |w| (w.to_string(), c)))
                .collect();
            if i == M_OLD || i == F_OLD {
                let suffixes = if i == M_OLD { SYL_MALE } else { SYL_FEMALE };
                for p in SYL_PREFIX {
                    for s in suffixes {
                        let w = format!("{p}{s}");
                        // No accidental old-spelling digraphs (SJ, NJ, ...) in modern names.
                        let old = ["DJ", "TJ", "NJ", "SJ", "OE", "CH"];
                        if !old.iter().any(|o| w.contains(o)) && !items.iter().any(|x| x.0 == w) {
                            items.push((w, 1));
                        }
                    }
                }
            }
            let start = words.len();
            let mut cum = Vec::with_capacity(items.len());
            let mut total = 0;
            for (w, c) in items {
                total += c;
                cum.push(total);
                words.push(w);
            }
            pools.push((start, cum));
        }
        let mut modern: Vec<u16> = (0..words.len() as u16).collect();
        for i in 0..words.len() {
            let w = &words[i];
            if ["DJ", "TJ", "OE", "CH"].iter().any(|o| w.contains(o)) {
                let m = w
                    .replace("DJ", "J")
                    .replace("TJ", "C")
                    .replace("OE", "U")
                    .replace("CH", "KH");
                modern[i] = match words.iter().position(|x| *x == m) {
                    Some(j) => j as u16,
                    None => {
                        words.push(m);
                        words.len() as u16 - 1
                    }
                };
            }
        }
        Names {
            words,
            modern,
            pools,
        }
    }

    fn pick<R: Rng>(&self, pool: usize, rng: &mut R) -> u16 {
        let (start, cum) = &self.pools[pool];
        let r = rng.gen_range(0..*cum.last().unwrap());
        (start + cum.partition_point(|&c| c <= r)) as u16
    }

    fn word(&self, i: u16) -> &str {
        &self.words[i as usize]
    }

    /// A canonical name for someone of this sex born in this year.
    fn generate<R: Rng>(&self, rng: &mut R, female: bool, year: i32) -> [u16; 3] {
        // Roles: 0 old single name, 1 Islamic first word, 2 first name, 3 last word,
        // 4 modern word.
        const OLD: &[(&[u8], u32)] = &[
            (&[0], 65),
            (&[1, 0], 12),
            (&[1, 3], 13),
            (&[0, 3], 5),
            (&[1, 3, 0], 5),
        ];
        const MID: &[(&[u8], u32)] = &[
            (&[0], 16),
            (&[2], 3),
            (&[2, 3], 30),
            (&[1, 3], 16),
            (&[2, 3, 3], 20),
            (&[1, 2, 3], 15),
        ];
        const MODERN: &[(&[u8], u32)] = &[
            (&[4], 3),
            (&[4, 4], 22),
            (&[1, 4], 12),
            (&[4, 3], 12),
            (&[1, 4, 4], 18),
            (&[4, 4, 3], 23),
            (&[1, 4, 3], 10),
        ];
        let templates = if year < 1960 {
            OLD
        } else if year < 1985 {
            MID
        } else {
            MODERN
        };
        let weights: Vec<u32> = templates.iter().map(|t| t.1).collect();
        let roles = templates[wpick(rng, &weights)].0;
        let pools = if female {
            [F_OLD, F_ISLAM, F_FIRST, F_LAST, F_MOD]
        } else {
            [M_OLD, M_ISLAM, M_FIRST, M_LAST, M_MOD]
        };
        let mut out = [NONE16; 3];
        for (k, &role) in roles.iter().enumerate() {
            let pool = if k > 0 && self.word(out[k - 1]) == "ABDUL" {
                ABDUL_TAIL
            } else {
                pools[role as usize]
            };
            let mut w = self.pick(pool, rng);
            for _ in 0..8 {
                if !out[..k].iter().any(|&o| self.word(o) == self.word(w)) {
                    break;
                }
                w = self.pick(pool, rng);
            }
            out[k] = w;
        }
        // ABDUL may not end a name.
        let n = roles.len();
        if self.word(out[n - 1]) == "ABDUL" {
            if n < 3 {
                out[n] = self.pick(ABDUL_TAIL, rng);
            } else {
                out[n - 1] = self.pick(ABDUL_TAIL, rng);
            }
        }
        // The old spelling was abolished in 1972.
        if year >= 1972 {
            for w in out.iter_mut().filter(|w| **w != NONE16) {
                *w = self.modern[*w as usize];
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Population
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Person {
    kk: u64,
    /// Index of the mother in the population, or NONE32.
    mother: u32,
    words: [u16; 3],
    /// Father's given name (a word index), for BIN/BINTI.
    father: u16,
    /// Birth date as the lists know it (day index since 1935-01-01).
    birth: u16,
    /// Birth date inside the NIK.
    nik_date: u16,
    serial: u16,
    desa: u16,
    nik_kec: u8,
    rt: u8,
    rw: u8,
    addr: u8,
    house: u8,
    desil: u8,
    /// 0 CIREBON, 1..=12 OTHER_PLACES, 100+ kecamatan index.
    birthplace: u8,
    flags: u8,
    /// Bit i: the person is in LISTS[i].
    lists: u8,
}

impl Person {
    fn female(&self) -> bool {
        self.flags & FEMALE != 0
    }
    fn head(&self) -> bool {
        self.flags & HEAD != 0
    }
    fn year(&self) -> i32 {
        ymd(self.birth).0
    }
    fn nik(&self) -> u64 {
        let (y, m, d) = ymd(self.nik_date);
        let d = if self.female() { d + 40 } else { d };
        3209_0000_0000_0000
            + self.nik_kec as u64 * 10_000_000_000
            + d as u64 * 100_000_000
            + m as u64 * 1_000_000
            + (y.rem_euclid(100)) as u64 * 10_000
            + self.serial as u64
    }
}

const OTHER_PLACES: &[&str] = &[
    "KAB. CIREBON",
    "KOTA CIREBON",
    "INDRAMAYU",
    "KUNINGAN",
    "MAJALENGKA",
    "BREBES",
    "TEGAL",
    "JAKARTA",
    "BANDUNG",
    "BEKASI",
    "KARAWANG",
    "SUMEDANG",
];

#[derive(Clone, Copy, Debug)]
struct Entry {
    person: u32,
    /// Identifies the rendering: exact duplicates share it, near duplicates do not.
    key: u32,
}

/// What a rendered row lets a matcher recover (for the tests).
#[derive(Clone, Copy, Debug, Default)]
struct RowTruth {
    /// The NIK cell holds the person's own NIK (possibly with formatting).
    nik_ok: bool,
    /// The NIK cell holds a well-formed NIK that is not the person's.
    nik_wrong: bool,
    /// The name differs from the canonical name only by normalizable dirt.
    name_ok: bool,
    /// The birth date is present and right.
    date_ok: bool,
}

struct World {
    seed: u64,
    people: Vec<Person>,
    names: Names,
    regions: Regions,
}

impl World {
    fn build(cfg: &DemoConfig) -> World {
        let names = Names::new();
        let regions = Regions::load();
        let mut rng = ChaCha8Rng::seed_from_u64(mix(cfg.seed, 0x5045_4f50_4c45));
        let n = cfg.people;
        let mut people: Vec<Person> = Vec::with_capacity(n);
        let mut kk_serials = vec![0u16; 40 * KK_DAYS];
        let kk_day0 = days_from_civil(KK_FIRST_YEAR, 1, 1);

        while people.len() < n {
            let size = (wpick(&mut rng, &[10, 16, 22, 24, 15, 8, 5]) + 1).min(n - people.len());
            let desa = rng.gen_range(0..regions.desa.len()) as u16;
            let kec = regions.desa[desa as usize].0;
            let rt: u8 = rng.gen_range(1..=15);
            let rw: u8 = rng.gen_range(1..=8);
            let addr: u8 = rng.gen();
            let house: u8 = rng.gen_range(1..=200);
            let desil = wpick(&mut rng, &[30, 30, 25, 15]) as u8 + 1;
            let in_dtks = rng.gen_bool(0.81);
            let issue = rng.gen_range(0..KK_DAYS);
            let c = &mut kk_serials[(kec as usize - 1) * KK_DAYS + issue];
            *c = if *c >= 9999 { 1 } else { *c + 1 };
            let (iy, im, id) = civil_from_days(kk_day0 + issue as i32);
            let kk = 3209_0000_0000_0000
                + kec as u64 * 10_000_000_000
                + id as u64 * 100_000_000
                + im as u64 * 1_000_000
                + (iy % 100) as u64 * 10_000
                + *c as u64;

            // Members: (female, birth year, role) with role 0 head, 1 spouse, 2 child,
            // 3 grandparent.
            let mut members: Vec<(bool, i32, u8)> = Vec::with_capacity(size);
            let (head_female, head_year) = if size == 1 {
                let y = if rng.gen_bool(0.7) {
                    rng.gen_range(1935..=1975)
                } else {
                    rng.gen_range(1976..=2000)
                };
                (rng.gen_bool(0.6), y)
            } else {
                let band = wpick(&mut rng, &[10, 25, 35, 30]);
                let y = match band {
                    0 => rng.gen_range(1940..=1954),
                    1 => rng.gen_range(1955..=1969),
                    2 => rng.gen_range(1970..=1984),
                    _ => rng.gen_range(1985..=2000),
                };
                (rng.gen_bool(0.12), y)
            };
            members.push((head_female, head_year, 0));
            if size >= 2 && rng.gen_bool(if head_female { 0.1 } else { 0.92 }) {
                let y = if head_female {
                    head_year - rng.gen_range(-2..=6)
                } else {
                    head_year + rng.gen_range(-2..=8)
                };
                members.push((!head_female, y.clamp(FIRST_YEAR, 2004), 1));
            }
            if size - members.len() >= 2 && head_year - 20 >= FIRST_YEAR && rng.gen_bool(0.15) {
                let y = (head_year - rng.gen_range(20..=35)).max(FIRST_YEAR);
                members.push((rng.gen_bool(0.7), y, 3));
            }
            let mother_year = members
                .iter()
                .find(|m| m.0 && m.2 <= 1)
                .map(|m| m.1)
                .unwrap_or(head_year);
            // Children; a child not yet born by 2024 is simply not there.
            for _ in members.len()..size {
                let year = mother_year + rng.gen_range(18..=40);
                if year <= REF_YEAR {
                    members.push((rng.gen_bool(0.5), year, 2));
                }
            }

            let first = people.len();
            let father_word = members
                .iter()
                .position(|m| !m.0 && m.2 <= 1)
                .map(|i| i + first);
            let mother_idx = members
                .iter()
                .position(|m| m.0 && m.2 <= 1)
                .map(|i| (i + first) as u32)
                .unwrap_or(NONE32);
            for &(female, year, role) in &members {
                let days = if is_leap(year) { 366 } else { 365 };
                let mut birth = day_index(year, 1, 1) + rng.gen_range(0..days);
                let mut nik_date = birth;
                if year < 1970 {
                    let r: f64 = rng.gen();
                    if r < 0.04 {
                        let standin = if rng.gen_bool(0.5) {
                            day_index(year, 7, 1)
                        } else {
                            day_index(year, 12, 31)
                        };
                        nik_date = standin;
                        if r < 0.03 {
                            birth = standin;
                        }
                    }
                }
                let words = names.generate(&mut rng, female, year);
                let father = match (role, father_word) {
                    (2, Some(f)) => people[f].words[0],
                    _ => names.pick(M_OLD, &mut rng),
                };
                let nik_kec = if rng.gen_bool(0.9) {
                    kec
                } else {
                    rng.gen_range(1..=40)
                };
                let r: f64 = rng.gen();
                let birthplace = if r < 0.65 {
                    0
                } else if r < 0.8 {
                    100 + nik_kec - 1
                } else {
                    rng.gen_range(1..=OTHER_PLACES.len() as u8)
                };
                let lists = u8::from(in_dtks && rng.gen_bool(0.985));
                people.push(Person {
                    kk,
                    mother: if role == 2 { mother_idx } else { NONE32 },
                    words,
                    father,
                    birth,
                    nik_date,
                    serial: 0,
                    desa,
                    nik_kec,
                    rt,
                    rw,
                    addr,
                    house,
                    desil,
                    birthplace,
                    flags: (if female { FEMALE } else { 0 }) | (if role == 0 { HEAD } else { 0 }),
                    lists,
                });
            }
        }

        // Different people with the same name, sex and birth date.
        if n >= 2 {
            let pairs = (n as f64 * TWIN_SHARE / 2.0).round() as usize;
            for _ in 0..pairs {
                let i = rng.gen_range(0..n);
                for _ in 0..30 {
                    let j = rng.gen_range(0..n);
                    let (a, b) = (people[i], people[j]);
                    if j != i
                        && a.female() == b.female()
                        && (a.year() - b.year()).abs() <= 10
                        && a.kk != b.kk
                    {
                        let p = &mut people[j];
                        p.words = a.words;
                        p.birth = a.birth;
                        p.nik_date = a.birth;
                        break;
                    }
                }
            }
        }

        // NIK serials: from 0001 per (kecamatan, date, sex), in population order.
        let mut serials = vec![0u16; 40 * N_DAYS * 2];
        for p in people.iter_mut() {
            let i = ((p.nik_kec as usize - 1) * N_DAYS + p.nik_date as usize) * 2
                + usize::from(p.female());
            let c = &mut serials[i];
            *c = if *c >= 9999 { 1 } else { *c + 1 };
            p.serial = *c;
        }
        drop(serials);

        // Office lists: ~90% DTKS members, ~10% others, weighted by who each office serves.
        let mut rng = ChaCha8Rng::seed_from_u64(mix(cfg.seed, 0x004c_4953_5453));
        let mut sums = [[0f64; 2]; 5];
        for p in &people {
            let inside = usize::from(p.lists & 1 != 0);
            for (list, sum) in sums.iter_mut().enumerate().skip(1) {
                sum[inside] += office_weight(list, p);
            }
        }
        for p in people.iter_mut() {
            let inside = usize::from(p.lists & 1 != 0);
            for list in 1..LISTS.len() {
                let w = office_weight(list, p);
                if w <= 0.0 {
                    continue;
                }
                let share = if inside == 1 {
                    1.0 - OUTSIDE_DTKS
                } else {
                    OUTSIDE_DTKS
                };
                let target = LIST_SHARE[list] * share * n as f64;
                let prob = (target * w / sums[list][inside]).min(1.0);
                if rng.gen_bool(prob) {
                    p.lists |= 1 << list;
                }
            }
        }

        World {
            seed: cfg.seed,
            people,
            names,
            regions,
        }
    }

    /// The rows of one list, in file order.
    fn entries(&self, list: usize) -> Vec<Entry> {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed, 0x454e_5452_0000 + list as u64));
        let bit = 1u8 << list;
        let mut out: Vec<Entry> = Vec::new();
        for (i, p) in self.people.iter().enumerate() {
            if p.lists & bit != 0 {
                out.push(Entry {
                    person: i as u32,
                    key: out.len() as u32,
                });
            }
        }
        let n = out.len();
        if n > 0 {
            let mut key = n as u32;
            for _ in 0..(n as f64 * EXACT_DUPLICATES).round() as usize {
                let e = out[rng.gen_range(0..n)];
                out.push(e);
            }
            for _ in 0..(n as f64 * NEAR_DUPLICATES).round() as usize {
                let e = out[rng.gen_range(0..n)];
                out.push(Entry {
                    person: e.person,
                    key,
                });
                key += 1;
            }
        }
        out.shuffle(&mut rng);
        out
    }

    fn row_rng(&self, list: usize, key: u32) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(mix(self.seed, ((list as u64 + 1) << 32) | key as u64))
    }

    fn write_list(&self, list: usize, mut out: Box<dyn Write>) -> io::Result<u64> {
        let fmt = &FORMATS[list];
        if fmt.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(fmt.delimiter)
            .terminator(if fmt.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(out);
        w.write_record(fmt.columns)?;
        let entries = self.entries(list);
        let mut fields = Vec::with_capacity(fmt.columns.len());
        let cp1252 = fmt.encoding == "windows-1252";
        for &e in &entries {
            let mut rng = self.row_rng(list, e.key);
            self.render(list, e, &mut rng, &mut fields);
            if cp1252 {
                w.write_record(fields.iter().map(|f| encode_cp1252(f)))?;
            } else {
                w.write_record(&fields)?;
            }
        }
        let mut out = w.into_inner().map_err(|e| e.into_error())?;
        out.flush()?;
        Ok(entries.len() as u64)
    }

    fn write_truth(&self, out: Box<dyn Write>) -> io::Result<u64> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(out);
        w.write_record(["party", "row", "person"])?;
        let mut rows = 0u64;
        for (list, &(party, _, _)) in LISTS.iter().enumerate() {
            for (i, e) in self.entries(list).iter().enumerate() {
                w.write_record([
                    party,
                    (i + 1).to_string().as_str(),
                    person_id(e.person).as_str(),
                ])?;
                rows += 1;
            }
        }
        let mut out = w.into_inner().map_err(|e| e.into_error())?;
        out.flush()?;
        Ok(rows)
    }

    // -----------------------------------------------------------------------------------
    // Rendering one row
    // -----------------------------------------------------------------------------------

    fn render(
        &self,
        list: usize,
        e: Entry,
        rng: &mut ChaCha8Rng,
        out: &mut Vec<String>,
    ) -> RowTruth {
        out.clear();
        let p = &self.people[e.person as usize];
        let m = DIRT[list].m;
        let mut truth = RowTruth::default();

        let (nik, nik_ok, nik_wrong) = self.nik_cell(rng, p, list);
        truth.nik_ok = nik_ok;
        truth.nik_wrong = nik_wrong;
        let (name, name_ok) = self.name_cell(rng, p, list);
        truth.name_ok = name_ok;

        // Where the row says the person lives.
        let (desa, rt, rw) = if list != DTKS && rng.gen_bool(0.01 * m) {
            (
                rng.gen_range(0..self.regions.desa.len()) as u16,
                rng.gen_range(1..=15u8),
                rng.gen_range(1..=8u8),
            )
        } else {
            (p.desa, p.rt, p.rw)
        };
        let (kec, desa_name) = {
            let d = &self.regions.desa[desa as usize];
            (d.0, d.1.as_str())
        };
        let kec_name = self.regions.kec_name(kec);

        match list {
            DTKS => {
                let (date, ok) = self.date_cell(rng, p, list, DateStyle::Dmy('-'));
                truth.date_ok = ok;
                out.push(format!("3209{:02}{:08}", kec, scramble(e.key, 100_000_000)));
                out.push(nik);
                out.push(self.kk_cell(rng, p, list));
                out.push(name);
                out.push(self.sex_cell(rng, p, list, 1));
                out.push(date);
                out.push(self.alamat(rng, p, list, desa_name, rt, rw, ""));
                if rng.gen_bool(0.1) {
                    out.push(rt.to_string());
                    out.push(rw.to_string());
                } else {
                    out.push(format!("{rt:03}"));
                    out.push(format!("{rw:03}"));
                }
                out.push(desa_name.to_string());
                out.push(kec_name.to_string());
                out.push(p.desil.to_string());
            }
            DINKES => {
                let (date, ok) = self.date_cell(rng, p, list, DateStyle::Dmy('-'));
                truth.date_ok = ok;
                let place = self.place(p);
                let ttl = if date.is_empty() {
                    place.to_string()
                } else if rng.gen_bool(0.03 * m) {
                    format!("{place},{date}")
                } else {
                    format!("{place}, {date}")
                };
                let suffix = format!(" RT {rt:03} RW {rw:03}");
                out.push(format!("000{:010}", scramble(e.key, 10_000_000_000)));
                out.push(nik);
                out.push(self.kk_cell(rng, p, list));
                out.push(name);
                out.push(self.sex_cell(rng, p, list, 0));
                out.push(ttl);
                out.push(self.alamat(rng, p, list, desa_name, rt, rw, &suffix));
                out.push(desa_name.to_string());
                out.push(kec_name.to_string());
                out.push(format!("PUSKESMAS {kec_name}"));
            }
            DISDIK => {
                let (date, ok) = self.date_cell(rng, p, list, DateStyle::Long);
                truth.date_ok = ok;
                let title = name.chars().any(|c| c.is_lowercase());
                let case = |s: &str| if title { title_case(s) } else { s.to_string() };
                let mother = if rng.gen_bool(0.02) {
                    String::new()
                } else if p.mother != NONE32 {
                    self.canonical_name(&self.people[p.mother as usize])
                } else {
                    let pool = if p.year() < 1985 { F_OLD } else { F_ISLAM };
                    let a = self.names.pick(pool, rng);
                    if pool == F_ISLAM {
                        let b = self.names.pick(F_LAST, rng);
                        format!("{} {}", self.names.word(a), self.names.word(b))
                    } else {
                        self.names.word(a).to_string()
                    }
                };
                let (school, class) = school(rng, p, desa_name, kec_name);
                out.push(format!(
                    "{:03}{:07}",
                    p.year().rem_euclid(1000),
                    scramble(e.key, 10_000_000)
                ));
                out.push(nik);
                out.push(name);
                out.push(self.sex_cell(rng, p, list, 1));
                out.push(case(self.place(p)));
                out.push(date);
                out.push(case(&mother));
                out.push(school);
                out.push(class);
                out.push(title_case(desa_name));
                out.push(title_case(kec_name));
            }
            DPMD => {
                let (date, ok) = self.date_cell(rng, p, list, DateStyle::Iso);
                truth.date_ok = ok;
                let age = REF_YEAR - p.year();
                let category = if age >= 60 && rng.gen_bool(0.6) {
                    "LANSIA TUNGGAL"
                } else if p.female() && p.head() && rng.gen_bool(0.5) {
                    "PEREMPUAN KEPALA KELUARGA"
                } else {
                    pick(
                        rng,
                        &[
                            "KELUARGA MISKIN",
                            "KELUARGA MISKIN",
                            "MISKIN EKSTREM",
                            "DISABILITAS",
                            "PENYAKIT KRONIS",
                        ],
                    )
                };
                out.push(nik);
                out.push(name);
                out.push(self.sex_cell(rng, p, list, 5));
                out.push(date);
                out.push(self.kk_cell(rng, p, list));
                out.push(self.alamat(rng, p, list, desa_name, rt, rw, ""));
                out.push(format!("{rt:03}/{rw:03}"));
                out.push(desa_name.to_string());
                out.push(kec_name.to_string());
                out.push(category.to_string());
            }
            _ => {
                let (date, ok) = self.date_cell(rng, p, list, DateStyle::Dmy('/'));
                truth.date_ok = ok;
                let place = self.place(p);
                let ttl = if date.is_empty() {
                    place.to_string()
                } else if rng.gen_bool(0.3) {
                    format!("{}, {date}", title_case(place))
                } else {
                    format!("{place}, {date}")
                };
                let suffix = format!(" RT {rt:02}/{rw:02}");
                let phone = {
                    let r: f64 = rng.gen();
                    let prefix = pick(rng, &["12", "13", "21", "22", "52", "53", "77", "78", "95"]);
                    let rest: u32 = rng.gen_range(1_000_000..100_000_000);
                    if r < 0.2 {
                        String::new()
                    } else if r < 0.9 {
                        format!("08{prefix}{rest}")
                    } else if r < 0.95 {
                        format!("+628{prefix}{rest}")
                    } else {
                        format!("628{prefix}{rest}")
                    }
                };
                out.push(format!("BZN-{:07}", scramble(e.key, 10_000_000)));
                out.push(nik);
                out.push(name);
                out.push(self.sex_cell(rng, p, list, 3));
                out.push(ttl);
                out.push(self.alamat(rng, p, list, desa_name, rt, rw, &suffix));
                out.push(title_case(desa_name));
                out.push(title_case(kec_name));
                out.push(phone);
                out.push(
                    pick(
                        rng,
                        &[
                            "FAKIR",
                            "MISKIN",
                            "MISKIN",
                            "MISKIN",
                            "GHARIM",
                            "FISABILILLAH",
                        ],
                    )
                    .to_string(),
                );
                out.push(
                    pick(
                        rng,
                        &[
                            "CIREBON SEHAT",
                            "CIREBON CERDAS",
                            "CIREBON MAKMUR",
                            "CIREBON PEDULI",
                            "CIREBON TAQWA",
                        ],
                    )
                    .to_string(),
                );
            }
        }
        truth
    }

    fn canonical_name(&self, p: &Person) -> String {
        let mut s = String::new();
        for &w in p.words.iter().filter(|&&w| w != NONE16) {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(self.names.word(w));
        }
        s
    }

    fn place(&self, p: &Person) -> &str {
        match p.birthplace {
            0 => "CIREBON",
            b if b >= 100 => self.regions.kec_name(b - 99),
            b => OTHER_PLACES[b as usize - 1],
        }
    }

    /// (cell, holds the right NIK, holds a well-formed wrong NIK).
    fn nik_cell(&self, rng: &mut ChaCha8Rng, p: &Person, list: usize) -> (String, bool, bool) {
        let d = &DIRT[list];
        let m = d.m;
        let nik = p.nik().to_string();
        let x: f64 = rng.gen();
        let mut t = 0.0;
        if list == BAZNAS {
            t += 0.06;
            if x < t {
                return (excel_scientific(p.nik()), false, false);
            }
            t += 0.01;
            if x < t {
                let damaged = p.nik() / 10 * 10;
                let same = damaged == p.nik();
                let wrong = !same && !damaged.is_multiple_of(10_000);
                return (damaged.to_string(), same, wrong);
            }
        }
        t += 0.015 * m;
        if x < t {
            return (pick(rng, &["", "", "", "-", "0"]).to_string(), false, false);
        }
        t += 0.003 * m;
        if x < t {
            let v = pick(
                rng,
                &[
                    "1234567890123456",
                    "0000000000000000",
                    "1111111111111111",
                    "9999999999999999",
                    "3209000000000000",
                ],
            );
            return (v.to_string(), false, false);
        }
        t += 0.003 * m;
        if x < t {
            return (p.kk.to_string(), false, false);
        }
        t += 0.004 * m;
        if x < t {
            return (mistype_nik(rng, &nik), false, true);
        }
        if rng.gen_bool(d.nik_format) {
            (format_number(rng, &nik), true, false)
        } else {
            (nik, true, false)
        }
    }

    fn kk_cell(&self, rng: &mut ChaCha8Rng, p: &Person, list: usize) -> String {
        let d = &DIRT[list];
        let kk = p.kk.to_string();
        let x: f64 = rng.gen();
        if x < 0.02 * d.m {
            String::new()
        } else if x < 0.02 * d.m + d.nik_format / 2.0 {
            format_number(rng, &kk)
        } else {
            kk
        }
    }

    /// (cell, recoverable by normalization).
    fn name_cell(&self, rng: &mut ChaCha8Rng, p: &Person, list: usize) -> (String, bool) {
        let d = &DIRT[list];
        let m = d.m;
        if rng.gen_bool(0.0015 * m) {
            return (pick(rng, &["-", "-", "", "--"]).to_string(), false);
        }
        let year = p.year();
        let age = REF_YEAR - year;
        let mut words: Vec<String> = p
            .words
            .iter()
            .filter(|&&w| w != NONE16)
            .map(|&w| self.names.word(w).to_string())
            .collect();
        let mut ok = true;
        if rng.gen_bool(0.12 * m) {
            spelling_variant(rng, &mut words, year < 1975);
            if rng.gen_bool(0.25) {
                spelling_variant(rng, &mut words, year < 1975);
            }
        }
        if rng.gen_bool(0.006 * m) {
            misspell(rng, &mut words);
            ok = false;
        }
        let bin_rate = if list == BAZNAS { 0.03 } else { 0.015 };
        if age >= 17 && rng.gen_bool(bin_rate * m) {
            words.push(if p.female() { "BINTI" } else { "BIN" }.to_string());
            words.push(self.names.word(p.father).to_string());
        }
        let mut s = words.join(" ");
        if age >= 18 && rng.gen_bool(0.06 * m) {
            s = add_title(rng, s, p.female(), age);
            if rng.gen_bool(0.1) {
                s = add_title(rng, s, p.female(), age);
            }
        }
        let x: f64 = rng.gen();
        if x < d.lower {
            s = s.to_lowercase();
        } else if x < d.lower + d.title {
            s = title_case(&s);
        }
        if rng.gen_bool(0.04 * m) {
            s = spaces(rng, &s);
        }
        (s, ok)
    }

    /// (cell, present and right).
    fn date_cell(
        &self,
        rng: &mut ChaCha8Rng,
        p: &Person,
        list: usize,
        base: DateStyle,
    ) -> (String, bool) {
        let m = DIRT[list].m;
        let (y, mo, d) = ymd(p.birth);
        let x: f64 = rng.gen();
        if x < 0.01 * m {
            let v = match base {
                DateStyle::Dmy(_) | DateStyle::Iso => pick(rng, &["", "", "-", "00-00-0000"]),
                _ => pick(rng, &["", "", "-"]),
            };
            return (v.to_string(), false);
        }
        if x < 0.016 * m {
            let (y2, m2, d2) = date_typo(rng, y, mo, d);
            return (format_date(rng, base, y2, m2, d2), false);
        }
        if list == DPMD && rng.gen_bool(0.01 * m) {
            let serial = days_from_civil(y, mo, d) - days_from_civil(1899, 12, 30);
            return (serial.to_string(), true);
        }
        let style = if rng.gen_bool(0.02 * m) {
            loop {
                let s = *[
                    DateStyle::Dmy('-'),
                    DateStyle::Dmy('/'),
                    DateStyle::Dmy('.'),
                    DateStyle::Iso,
                    DateStyle::Long,
                    DateStyle::Short,
                ]
                .choose(rng)
                .unwrap();
                if s != base {
                    break s;
                }
            }
        } else {
            base
        };
        (format_date(rng, style, y, mo, d), true)
    }

    /// `base` indexes SEX_STYLES.
    fn sex_cell(&self, rng: &mut ChaCha8Rng, p: &Person, list: usize, base: usize) -> String {
        let m = DIRT[list].m;
        let x: f64 = rng.gen();
        let (style, female) = if x < 0.005 * m {
            return String::new();
        } else if x < 0.007 * m {
            (base, !p.female())
        } else if x < 0.027 * m {
            (rng.gen_range(0..SEX_STYLES.len()), p.female())
        } else {
            (base, p.female())
        };
        let (male_s, female_s) = SEX_STYLES[style];
        if female { female_s } else { male_s }.to_string()
    }

    #[allow(clippy::too_many_arguments)]
    fn alamat(
        &self,
        rng: &mut ChaCha8Rng,
        p: &Person,
        list: usize,
        desa: &str,
        rt: u8,
        rw: u8,
        suffix: &str,
    ) -> String {
        let m = DIRT[list].m;
        let a = p.addr as usize;
        let base = if a < 128 {
            format!("BLOK {}", BLOK[a % BLOK.len()])
        } else if a < 179 {
            format!("DUSUN {}", DUSUN[a % DUSUN.len()])
        } else if a < 230 {
            let street = match STREETS.get(a % (STREETS.len() + 1)) {
                Some(s) => s.to_string(),
                None => format!("RAYA {desa}"),
            };
            format!("JL. {street} NO. {}", p.house)
        } else {
            format!("GG. {}", GANG[a % GANG.len()])
        };
        let x: f64 = rng.gen();
        let mut t = 0.0005;
        if x < t {
            return match rng.gen_range(0..4) {
                0 => format!("={base}"),
                1 => format!("+62 8{}", rng.gen_range(100_000_000..1_000_000_000u32)),
                2 => format!("-{base}"),
                _ => format!("@{base}"),
            };
        }
        t += 0.001;
        if x < t {
            return format!("{base}\nRT {rt:02} RW {rw:02}");
        }
        t += 0.001;
        if x < t {
            return format!("{base} (DEKAT \"MASJID AL-IKHLAS\"){suffix}");
        }
        t += 0.01 * m;
        if x < t {
            return "-".to_string();
        }
        t += 0.01 * m;
        if x < t {
            return format!("{base} – {}{suffix}", pick(rng, &GANG_FULL));
        }
        t += 0.03 * m;
        if x < t {
            return format!("{base}, RT {rt:02} RW {rw:02}");
        }
        format!("{base}{suffix}")
    }
}

const BLOK: &[&str] = &[
    "PAHING", "PON", "WAGE", "KLIWON", "MANIS", "SENIN", "SELASA", "REBO", "KEMIS", "JUMAT",
    "SABTU", "MINGGU",
];
const DUSUN: &[&str] = &[
    "KRAJAN", "WETAN", "KULON", "LOR", "KIDUL", "TENGAH", "I", "II", "III", "IV",
];
const STREETS: &[&str] = &[
    "SUNAN GUNUNG JATI",
    "PANGERAN CAKRABUANA",
    "NYI MAS GANDASARI",
    "KH. WAHID HASYIM",
    "SILIWANGI",
    "PRAMUKA",
    "MASJID",
    "PESANTREN",
    "KARTINI",
    "SUDIRMAN",
    "DIPONEGORO",
    "BALAI DESA",
];
const GANG: &[&str] = &[
    "MASJID",
    "MUSHOLA",
    "BARU",
    "MANGGA",
    "JAMBU",
    "DAMAI",
    "H. DASUKI",
    "KENANGA",
];
const GANG_FULL: [&str; 4] = [
    "GG. MASJID",
    "GG. MANGGA",
    "DEKAT BALAI DESA",
    "SAMPING SDN 1",
];

/// (male, female) spellings; the lists' own styles are 0 (L/P), 1 (LAKI-LAKI), 3 (PRIA),
/// 5 (1/2).
const SEX_STYLES: &[(&str, &str)] = &[
    ("L", "P"),
    ("LAKI-LAKI", "PEREMPUAN"),
    ("Laki-laki", "Perempuan"),
    ("PRIA", "WANITA"),
    ("Pria", "Wanita"),
    ("1", "2"),
    ("M", "F"),
    ("l", "p"),
    ("L.", "P."),
    ("LAKI-LAKI ", "PEREMPUAN "),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DateStyle {
    /// dd-mm-yyyy with the given separator.
    Dmy(char),
    /// yyyy-mm-dd
    Iso,
    /// 17 AGUSTUS 1945
    Long,
    /// 17 AGT 1945
    Short,
}

const MONTHS: [&str; 12] = [
    "JANUARI",
    "FEBRUARI",
    "MARET",
    "APRIL",
    "MEI",
    "JUNI",
    "JULI",
    "AGUSTUS",
    "SEPTEMBER",
    "OKTOBER",
    "NOVEMBER",
    "DESEMBER",
];
const MONTHS_SHORT: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MEI", "JUN", "JUL", "AGT", "SEP", "OKT", "NOV", "DES",
];

fn format_date<R: Rng>(rng: &mut R, style: DateStyle, y: i32, m: u32, d: u32) -> String {
    match style {
        DateStyle::Dmy(sep) => format!("{d:02}{sep}{m:02}{sep}{y:04}"),
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}"),
        DateStyle::Long | DateStyle::Short => {
            let month = match (style, m) {
                (DateStyle::Long, 2) if rng.gen_bool(0.3) => "PEBRUARI",
                (DateStyle::Long, 11) if rng.gen_bool(0.3) => "NOPEMBER",
                (DateStyle::Long, _) => MONTHS[m as usize - 1],
                (_, 8) => pick(rng, &["AGT", "AGS", "AGU"]),
                _ => MONTHS_SHORT[m as usize - 1],
            };
            if rng.gen_bool(0.5) {
                format!("{d} {month} {y}")
            } else {
                format!("{d:02} {month} {y}")
            }
        }
    }
}

/// A different, valid date that looks like a typing error of (y, m, d).
fn date_typo<R: Rng>(rng: &mut R, y: i32, m: u32, d: u32) -> (i32, u32, u32) {
    for _ in 0..30 {
        let (y2, m2, d2) = match rng.gen_range(0..5) {
            0 => (y, m, (d % 10) * 10 + d / 10),
            1 => (y, m, if rng.gen_bool(0.5) { d + 1 } else { d - 1 }),
            2 => (y, if rng.gen_bool(0.5) { m + 1 } else { m - 1 }, d),
            3 => (y + if rng.gen_bool(0.5) { 1 } else { -1 }, m, d),
            _ => (y, d, m),
        };
        if (y2, m2, d2) != (y, m, d) && (1900..=REF_YEAR).contains(&y2) && valid_date(y2, m2, d2) {
            return (y2, m2, d2);
        }
    }
    (y, m, if d == 1 { 2 } else { d - 1 })
}

/// Excel's General display of a 16-digit number: `3.20901E+15`.
fn excel_scientific(n: u64) -> String {
    let s = format!("{:.5}", n as f64 / 1e15);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}E+15")
}

/// Formatting that cleaning must strip: `'`, backtick, dots, dashes, spaces, NBSP.
fn format_number<R: Rng>(rng: &mut R, n: &str) -> String {
    match rng.gen_range(0..10) {
        0..=3 => format!("'{n}"),
        4 => format!(
            "{}.{}.{}.{}.{}",
            &n[0..2],
            &n[2..4],
            &n[4..6],
            &n[6..12],
            &n[12..]
        ),
        5 => format!("{}-{}-{}-{}", &n[0..4], &n[4..8], &n[8..12], &n[12..]),
        6 => format!("{} {} {} {}", &n[0..4], &n[4..8], &n[8..12], &n[12..]),
        7 => match rng.gen_range(0..3) {
            0 => format!("{n}\u{A0}"),
            1 => format!("\u{A0}{n}"),
            _ => format!("{}\u{A0}{}", &n[0..6], &n[6..]),
        },
        8 => format!("`{n}"),
        _ => format!(" {n} "),
    }
}

/// Whether 16 ASCII digits look like a NIK of Kabupaten Cirebon.
fn well_formed_nik(c: &[u8]) -> bool {
    let two = |i: usize| (c[i] - b'0') as u32 * 10 + (c[i + 1] - b'0') as u32;
    let kec = two(4);
    let day = two(6);
    let month = two(8);
    let yy = two(10) as i32;
    let serial = two(12) * 100 + two(14);
    let day = if day > 40 { day - 40 } else { day };
    let year = if yy <= REF_YEAR % 100 {
        2000 + yy
    } else {
        1900 + yy
    };
    &c[0..4] == b"3209" && (1..=40).contains(&kec) && serial != 0 && valid_date(year, month, day)
}

/// The NIK with one digit mistyped or two adjacent digits swapped, still well formed.
fn mistype_nik<R: Rng>(rng: &mut R, nik: &str) -> String {
    let b = nik.as_bytes();
    for _ in 0..30 {
        let mut c = b.to_vec();
        let r: f64 = rng.gen();
        if r < 0.4 {
            let d = c[15] - b'0';
            let nd = if rng.gen_bool(0.5) {
                (d + 1) % 10
            } else {
                (d + 9) % 10
            };
            c[15] = b'0' + nd;
        } else if r < 0.7 {
            let i = rng.gen_range(6..15);
            c.swap(i, i + 1);
        } else {
            let i = rng.gen_range(4..16);
            c[i] = b'0' + rng.gen_range(0..10u8);
        }
        if c != b && well_formed_nik(&c) {
            return String::from_utf8(c).unwrap();
        }
    }
    let mut c = b.to_vec();
    c[14] = if c[14] == b'9' { b'8' } else { c[14] + 1 };
    String::from_utf8(c).unwrap()
}

#[derive(Clone, Copy)]
enum Op {
    Muhammad,
    Ahmad,
    Abdul,
    AbdurJoin,
    AbdurSplit,
    Join,
    Split,
    Modernize,
    Archaize,
    Sundanese,
    AiAe,
    FinalH,
    FinalYI,
    Collapse,
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

/// Positions where old spelling can be written without creating another old-spelling
/// sequence: (kind, positions). Kinds: 0 J->DJ, 1 C->TJ, 2 U->OE, 3 KH->CH, 4 NY->NJ,
/// 5 SY->SJ.
fn archaic_spots(w: &[u8]) -> Vec<(u8, usize)> {
    let mut v = Vec::new();
    for i in 0..w.len() {
        let prev = if i > 0 { Some(w[i - 1]) } else { None };
        let next = w.get(i + 1).copied();
        match w[i] {
            b'J' if prev.is_none_or(is_vowel) => v.push((0, i)),
            b'C' if next != Some(b'H') && prev != Some(b'T') => v.push((1, i)),
            b'U' if prev.is_some_and(|c| !is_vowel(c)) && !matches!(next, Some(b'E' | b'O')) => {
                v.push((2, i))
            }
            b'K' if next == Some(b'H') => v.push((3, i)),
            b'N' if next == Some(b'Y') => v.push((4, i)),
            b'S' if next == Some(b'Y') => v.push((5, i)),
            _ => {}
        }
    }
    v
}

fn has_double(w: &str) -> bool {
    w.as_bytes()
        .windows(2)
        .any(|p| p[0] == p[1] && p[0].is_ascii_alphabetic())
}

/// Applies one spelling variant that DOMAIN.md's normalization undoes.
fn spelling_variant<R: Rng>(rng: &mut R, words: &mut Vec<String>, old: bool) {
    let mut ops: Vec<(usize, Op)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(|s| s.as_str());
        match w.as_str() {
            "MUHAMMAD" => ops.push((i, Op::Muhammad)),
            "AHMAD" => ops.push((i, Op::Ahmad)),
            "ABDUL" => {
                ops.push((i, Op::Abdul));
                if next == Some("RAHMAN") {
                    ops.push((i, Op::AbdurJoin));
                }
            }
            "ABDURRAHMAN" => ops.push((i, Op::AbdurSplit)),
            "NUR" | "NURUL" | "SRI" | "DWI" | "TRI" | "EKA" if next.is_some() => {
                ops.push((i, Op::Join))
            }
            _ => {}
        }
        if !w.is_ascii() || w.ends_with('.') {
            continue;
        }
        if NUR_COMPOUNDS.contains(&w.as_str()) {
            ops.push((i, Op::Split));
        }
        if ["DJ", "TJ", "OE", "CH"].iter().any(|o| w.contains(o)) {
            ops.push((i, Op::Modernize));
        } else if old && !archaic_spots(w.as_bytes()).is_empty() {
            ops.push((i, Op::Archaize));
        }
        if w.contains(['F', 'V']) || w.contains('Z') {
            ops.push((i, Op::Sundanese));
        }
        if w.contains("AI") || w.contains("AE") {
            ops.push((i, Op::AiAe));
        }
        let b = w.as_bytes();
        if b.len() >= 4 && b[b.len() - 1] == b'H' && matches!(b[b.len() - 2], b'A' | b'I') {
            ops.push((i, Op::FinalH));
        }
        if b.len() >= 4 && matches!(b[b.len() - 1], b'Y' | b'I') && !is_vowel(b[b.len() - 2]) {
            ops.push((i, Op::FinalYI));
        }
        if has_double(w) {
            ops.push((i, Op::Collapse));
        }
    }
    let Some(&(i, op)) = ops.choose(rng) else {
        return;
    };
    let w = words[i].clone();
    let b = w.as_bytes();
    match op {
        Op::Muhammad => words[i] = wpick_str(rng, MUHAMMAD_VARIANTS).to_string(),
        Op::Ahmad => words[i] = pick(rng, &["ACHMAD", "ACHMAD", "AKHMAD", "AHMD"]).to_string(),
        Op::Abdul => words[i] = pick(rng, &["ABD.", "ABD.", "ABDOEL"]).to_string(),
        Op::AbdurJoin => {
            words[i] = "ABDURRAHMAN".to_string();
            words.remove(i + 1);
        }
        Op::AbdurSplit => {
            words[i] = "ABDUL".to_string();
            words.insert(i + 1, "RAHMAN".to_string());
        }
        Op::Join => {
            let next = words.remove(i + 1);
            words[i].push_str(&next);
        }
        Op::Split => {
            words[i] = "NUR".to_string();
            words.insert(i + 1, w[3..].to_string());
        }
        Op::Modernize => {
            words[i] = w
                .replace("DJ", "J")
                .replace("TJ", "C")
                .replace("OE", "U")
                .replace("CH", "KH");
        }
        Op::Archaize => {
            let spots = archaic_spots(b);
            let kind = spots[rng.gen_range(0..spots.len())].0;
            let mut out = String::with_capacity(w.len() + 4);
            for (j, &c) in b.iter().enumerate() {
                let here = spots.iter().any(|&(k, p)| k == kind && p == j);
                match (here, kind) {
                    (true, 0) => out.push_str("DJ"),
                    (true, 1) => out.push_str("TJ"),
                    (true, 2) => out.push_str("OE"),
                    (true, 3) => out.push('C'),
                    (true, 4) | (true, 5) => {
                        out.push(c as char);
                    }
                    _ => {
                        // The Y after N/S of a chosen NY/SY spot becomes J.
                        if c == b'Y'
                            && (kind == 4 || kind == 5)
                            && spots.iter().any(|&(k, p)| k == kind && p + 1 == j)
                        {
                            out.push('J');
                        } else {
                            out.push(c as char);
                        }
                    }
                }
            }
            words[i] = out;
        }
        Op::Sundanese => {
            let mut out = String::with_capacity(w.len());
            for (j, &c) in b.iter().enumerate() {
                let prev = if j > 0 { b[j - 1] } else { b' ' };
                out.push(match c {
                    b'F' | b'V' => 'P',
                    b'Z' if !matches!(prev, b'D' | b'T' | b'N' | b'S') => 'J',
                    _ => c as char,
                });
            }
            words[i] = out;
        }
        Op::AiAe => {
            words[i] = if w.contains("AI") {
                w.replace("AI", "AE")
            } else {
                w.replace("AE", "AI")
            };
        }
        Op::FinalH => words[i] = w[..w.len() - 1].to_string(),
        Op::FinalYI => {
            let last = if b[b.len() - 1] == b'Y' { "I" } else { "Y" };
            words[i] = format!("{}{last}", &w[..w.len() - 1]);
        }
        Op::Collapse => {
            let j = b
                .windows(2)
                .position(|p| p[0] == p[1] && p[0].is_ascii_alphabetic())
                .unwrap();
            let mut s = w.clone();
            s.remove(j);
            words[i] = s;
        }
    }
}

/// A real misspelling of one word (not undone by normalization).
fn misspell<R: Rng>(rng: &mut R, words: &mut [String]) {
    let candidates: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].len() >= 4 && words[i].is_ascii())
        .collect();
    let Some(&i) = candidates.choose(rng) else {
        if let Some(w) = words.first_mut() {
            w.push('X');
        }
        return;
    };
    let mut b = words[i].as_bytes().to_vec();
    let j = rng.gen_range(1..b.len());
    match rng.gen_range(0..3) {
        0 => {
            let mut c = b'A' + rng.gen_range(0..26u8);
            while c == b[j] || (c == b'P' && b[j] == b'F') || (c == b'J' && b[j] == b'Z') {
                c = b'A' + rng.gen_range(0..26u8);
            }
            b[j] = c;
        }
        1 => {
            b.remove(j);
        }
        _ => {
            if j + 1 < b.len() && b[j] != b[j + 1] {
                b.swap(j, j + 1);
            } else {
                b[j] = if b[j] == b'K' { b'G' } else { b'K' };
            }
        }
    }
    words[i] = String::from_utf8(b).unwrap();
}

fn add_title<R: Rng>(rng: &mut R, name: String, female: bool, age: i32) -> String {
    let kind = wpick(rng, &[35, 30, 20, 8, 7]);
    match kind {
        0 if age >= 35 => {
            let t = if female {
                pick(rng, &["HJ.", "HJ.", "HJ", "HAJJAH"])
            } else if age >= 45 && rng.gen_bool(0.1) {
                pick(rng, &["KH.", "UST."])
            } else {
                pick(rng, &["H.", "H.", "H.", "HAJI"])
            };
            format!("{t} {name}")
        }
        2 if age >= 23 => {
            let t = pick(
                rng,
                &[
                    ", S.Pd", ", S.Pd.I", " S.Pd", ", S.E.", " SE", ", S.H.", ", S.Kom", ", S.Sos",
                    ", S.Ag", ", A.Md", " AMd", ", M.Pd", ", S.T.", ", S. Pd",
                ],
            );
            format!("{name}{t}")
        }
        3 if age >= 25 => {
            let t = if female {
                pick(rng, &["DRA.", "DR.", "IR."])
            } else {
                pick(rng, &["DRS.", "DR.", "IR."])
            };
            format!("{t} {name}")
        }
        4 if age >= 40 => {
            let t = if female {
                pick(rng, &["ALMH.", "ALMH", "ALMARHUMAH"])
            } else {
                pick(rng, &["ALM.", "ALM", "ALMARHUM"])
            };
            format!("{t} {name}")
        }
        _ => {
            let t = if female {
                pick(
                    rng,
                    &["IBU", "IBU", "BU", "NY.", "NY", "NYONYA", "SDRI.", "NN."],
                )
            } else {
                pick(rng, &["BPK.", "BPK", "BAPAK", "PAK", "SDR.", "TN."])
            };
            format!("{t} {name}")
        }
    }
}

fn spaces<R: Rng>(rng: &mut R, s: &str) -> String {
    match rng.gen_range(0..4) {
        0 => format!(" {s}"),
        1 => format!("{s} "),
        2 => format!("  {s}  "),
        _ => s.replacen(' ', "  ", 1),
    }
}

/// (school, class) for a disdik row.
fn school<R: Rng>(rng: &mut R, p: &Person, desa: &str, kec: &str) -> (String, String) {
    let year = p.year();
    let age = REF_YEAR - year;
    if year <= 2002 {
        return (format!("PKBM {desa}"), "PAKET C".to_string());
    }
    if age >= 19 {
        let uni = pick(
            rng,
            &[
                "UIN SIBER SYEKH NURJATI CIREBON",
                "UNIVERSITAS SWADAYA GUNUNG JATI",
                "UNIVERSITAS MUHAMMADIYAH CIREBON",
                "IAI BUNGA BANGSA CIREBON",
            ],
        );
        return (
            uni.to_string(),
            format!("SEMESTER {}", ((age - 18) * 2).min(8)),
        );
    }
    let class = (age - 6).clamp(1, 12);
    let n = rng.gen_range(1..=4);
    let school = if class <= 6 {
        if rng.gen_bool(0.8) {
            format!("SDN {n} {desa}")
        } else {
            format!(
                "MI {}",
                pick(rng, &["AL-HIDAYAH", "NURUL HUDA", "AL-IKHLAS"])
            )
        }
    } else if class <= 9 {
        if rng.gen_bool(0.75) {
            format!("SMPN {n} {kec}")
        } else {
            format!(
                "MTS {}",
                pick(rng, &["NURUL HUDA", "AL-MUTTAQIN", "MIFTAHUL ULUM"])
            )
        }
    } else {
        match rng.gen_range(0..3) {
            0 => format!("SMAN {n} {kec}"),
            1 => format!("SMKN {n} {kec}"),
            _ => format!(
                "MA {}",
                pick(rng, &["NURUL HUDA", "AL-MUTTAQIN", "ASSALAFIYAH"])
            ),
        }
    };
    (school, class.to_string())
}

/// How much an office wants this person (relative weight; 0 = never).
fn office_weight(list: usize, p: &Person) -> f64 {
    let year = p.year();
    let age = REF_YEAR - year;
    match list {
        DINKES => 1.0,
        DISDIK => {
            if (2003..=2019).contains(&year) {
                1.0
            } else if (1975..=2002).contains(&year) {
                0.04
            } else {
                0.0
            }
        }
        DPMD => {
            if age < 18 {
                0.0
            } else if p.head() {
                1.0
            } else {
                0.25
            }
        }
        BAZNAS => {
            if age < 18 {
                0.0
            } else {
                let w = if age >= 60 { 1.0 } else { 0.35 };
                if p.female() && p.head() {
                    w * 2.0
                } else {
                    w
                }
            }
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::rc::Rc;

    type Buffer = Rc<RefCell<Vec<u8>>>;
    type Files = Rc<RefCell<Vec<(String, Buffer)>>>;

    struct Sink(Buffer);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn run(people: usize, seed: u64) -> (DemoManifest, BTreeMap<String, Vec<u8>>, Vec<String>) {
        let files: Files = Default::default();
        let f2 = files.clone();
        let mut open = move |name: &str| -> io::Result<Box<dyn Write>> {
            let buf = Rc::new(RefCell::new(Vec::new()));
            f2.borrow_mut().push((name.to_string(), buf.clone()));
            Ok(Box::new(Sink(buf)))
        };
        let manifest = generate(&DemoConfig { people, seed }, &mut open).unwrap();
        let order: Vec<String> = files.borrow().iter().map(|f| f.0.clone()).collect();
        let map = files
            .borrow()
            .iter()
            .map(|(n, b)| (n.clone(), b.borrow().clone()))
            .collect();
        (manifest, map, order)
    }

    fn strip_bom(b: &[u8]) -> &[u8] {
        b.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(b)
    }

    /// Parses a list; every record must have the header's field count.
    fn records(bytes: &[u8], delimiter: u8) -> (Vec<String>, Vec<csv::ByteRecord>) {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .from_reader(strip_bom(bytes));
        let header: Vec<String> = r
            .byte_headers()
            .unwrap()
            .iter()
            .map(|h| String::from_utf8(h.to_vec()).unwrap())
            .collect();
        let rows: Vec<csv::ByteRecord> = r.byte_records().map(|x| x.unwrap()).collect();
        for row in &rows {
            assert_eq!(row.len(), header.len());
        }
        (header, rows)
    }

    #[test]
    fn deterministic_per_seed() {
        let (_, a, order) = run(2000, 7);
        let (_, b, _) = run(2000, 7);
        let (_, c, _) = run(2000, 8);
        assert_eq!(a, b);
        for name in a.keys() {
            assert_ne!(a[name], c[name], "{name}");
        }
        let mut expected: Vec<String> = LISTS.iter().map(|l| l.2.to_string()).collect();
        expected.push("truth.csv".to_string());
        assert_eq!(order, expected);
    }

    #[test]
    fn lists_parse_with_their_format() {
        let (manifest, files, _) = run(2000, 1);
        for (i, fmt) in FORMATS.iter().enumerate() {
            assert_eq!(fmt.party, LISTS[i].0);
            let bytes = &files[LISTS[i].2];
            assert_eq!(bytes.starts_with(b"\xEF\xBB\xBF"), fmt.bom, "{}", fmt.party);
            let (header, rows) = records(bytes, fmt.delimiter);
            assert_eq!(header, fmt.columns);
            assert_eq!(rows.len() as u64, manifest.lists[i].2);
            for (field, col) in fmt.fields {
                assert!(fmt.columns.contains(col), "{field}");
            }
            if fmt.encoding == "utf-8" {
                assert!(std::str::from_utf8(bytes).is_ok(), "{}", fmt.party);
            }
            let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
            if fmt.crlf {
                assert!(crlf >= rows.len());
            } else {
                assert_eq!(crlf, 0);
            }
        }
        // Quoting is exercised: some comma-list field holds a comma, quote or newline.
        let dtks = &files["dtks.csv"];
        assert!(dtks.windows(2).any(|w| w == b",\""));
    }

    #[test]
    fn windows_1252_file_is_not_utf8() {
        let (_, files, _) = run(2000, 3);
        let bytes = &files["dpmd_blt.csv"];
        assert!(bytes.iter().any(|&b| b >= 0x80), "no non-ASCII byte");
        assert!(std::str::from_utf8(bytes).is_err());
        let (text, _, had_errors) = encoding_rs::WINDOWS_1252.decode(bytes);
        assert!(!had_errors);
        assert!(text.contains('–') || text.contains('É') || text.contains('\u{A0}'));
        assert!(!text.contains('?'));
    }

    #[test]
    fn truth_refers_to_every_row_once() {
        let (manifest, files, _) = run(2000, 5);
        let (header, rows) = records(&files["truth.csv"], b',');
        assert_eq!(header, ["party", "row", "person"]);
        assert_eq!(rows.len() as u64, manifest.truth_rows);
        let counts: HashMap<&str, u64> =
            manifest.lists.iter().map(|l| (l.0.as_str(), l.2)).collect();
        let mut seen = HashSet::new();
        for r in &rows {
            let party = std::str::from_utf8(&r[0]).unwrap();
            let row: u64 = std::str::from_utf8(&r[1]).unwrap().parse().unwrap();
            let person = std::str::from_utf8(&r[2]).unwrap();
            assert!(row >= 1 && row <= counts[party], "{party} {row}");
            assert!(person.starts_with('P') && person[1..].parse::<u64>().unwrap() <= 2000);
            assert!(seen.insert((party.to_string(), row)));
        }
        assert_eq!(seen.len() as u64, counts.values().sum::<u64>());
    }

    #[test]
    fn population_is_valid() {
        let world = World::build(&DemoConfig {
            people: 20_000,
            seed: 11,
        });
        assert_eq!(world.people.len(), 20_000);
        let mut niks = HashSet::new();
        let mut same_name_date: HashMap<(String, u16, bool), u32> = HashMap::new();
        for p in &world.people {
            let nik = p.nik().to_string();
            assert_eq!(nik.len(), 16);
            assert!(well_formed_nik(nik.as_bytes()), "{nik}");
            assert!(niks.insert(nik));
            let kk = p.kk.to_string();
            assert_eq!(&kk[..4], "3209");
            let year = p.year();
            assert!((1935..=2024).contains(&year));
            *same_name_date
                .entry((world.canonical_name(p), p.birth, p.female()))
                .or_default() += 1;
        }
        let in_pairs: u32 = same_name_date.values().filter(|&&c| c > 1).sum();
        assert!(in_pairs as f64 >= 0.002 * 20_000.0, "{in_pairs}");
        assert_eq!(world.regions.kec.len(), 40);
        assert!(world.regions.kec.iter().all(|k| !k.is_empty()));
        assert_eq!(world.regions.desa.len(), 424);
    }

    #[test]
    fn rates_are_as_documented() {
        let n = 20_000;
        let world = World::build(&DemoConfig { people: n, seed: 2 });
        for (list, share) in LIST_SHARE.iter().enumerate() {
            let entries = world.entries(list);
            let expected = share * n as f64 * (1.0 + EXACT_DUPLICATES + NEAR_DUPLICATES);
            let got = entries.len() as f64;
            assert!(
                (got / expected - 1.0).abs() < 0.12,
                "{list}: {got} vs {expected}"
            );
            if list != DTKS {
                let outside = entries
                    .iter()
                    .filter(|e| world.people[e.person as usize].lists & 1 == 0)
                    .count() as f64;
                let rate = outside / got;
                assert!((0.06..0.14).contains(&rate), "{list}: outside {rate}");
            }
            if list == DISDIK {
                let young = entries
                    .iter()
                    .filter(|e| world.people[e.person as usize].year() >= 2003)
                    .count() as f64;
                assert!(young / got > 0.85, "{}", young / got);
            }
            // Exact duplicates and near duplicates.
            let keys: HashSet<u32> = entries.iter().map(|e| e.key).collect();
            let dup = 1.0 - keys.len() as f64 / got;
            assert!((0.005..0.02).contains(&dup), "{list}: dup {dup}");
        }
        // Row-level dirt in the DTKS file.
        let mut fields = Vec::new();
        let entries = world.entries(DTKS);
        let mut empty_nik = 0;
        let mut bad_date = 0;
        for &e in &entries {
            let mut rng = world.row_rng(DTKS, e.key);
            let t = world.render(DTKS, e, &mut rng, &mut fields);
            if fields[1].is_empty() || fields[1] == "-" || fields[1] == "0" {
                empty_nik += 1;
            }
            if !t.date_ok {
                bad_date += 1;
            }
        }
        let rows = entries.len() as f64;
        let empty = empty_nik as f64 / rows;
        assert!((0.004..0.016).contains(&empty), "empty NIK {empty}");
        let bad = bad_date as f64 / rows;
        assert!((0.005..0.016).contains(&bad), "bad date {bad}");
    }

    /// Office rows of DTKS members that neither an exact NIK match nor an exact
    /// normalized-name + birth-date match can recover.
    #[test]
    fn unrecoverable_rows_are_rare() {
        let world = World::build(&DemoConfig {
            people: 20_000,
            seed: 4,
        });
        let mut fields = Vec::new();
        // Per person: (some DTKS row has the right NIK, some has name and date right).
        let mut dtks: HashMap<u32, (bool, bool)> = HashMap::new();
        for &e in &world.entries(DTKS) {
            let mut rng = world.row_rng(DTKS, e.key);
            let t = world.render(DTKS, e, &mut rng, &mut fields);
            let s = dtks.entry(e.person).or_default();
            s.0 |= t.nik_ok;
            s.1 |= t.name_ok && t.date_ok;
        }
        let mut total = 0;
        let mut lost = 0;
        let mut wrong_nik = 0;
        for list in 1..LISTS.len() {
            for &e in &world.entries(list) {
                let mut rng = world.row_rng(list, e.key);
                let t = world.render(list, e, &mut rng, &mut fields);
                wrong_nik += usize::from(t.nik_wrong);
                let Some(&(d_nik, d_name)) = dtks.get(&e.person) else {
                    continue;
                };
                total += 1;
                if !((t.nik_ok && d_nik) || (t.name_ok && t.date_ok && d_name)) {
                    lost += 1;
                }
            }
        }
        let rate = lost as f64 / total as f64;
        assert!(rate < 0.02, "unrecoverable {rate}");
        assert!(wrong_nik > 0);
    }

    #[test]
    fn spelling_variants_keep_old_spelling_sequences_sane() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..2000 {
            let mut w = vec![
                "MUHAMMAD".to_string(),
                "ZAENAL".to_string(),
                "SUJONO".to_string(),
            ];
            spelling_variant(&mut rng, &mut w, true);
            let s = w.join(" ");
            assert!(
                !s.contains("TDJ") && !s.contains("NDJ") && !s.contains("DDJ"),
                "{s}"
            );
        }
    }

    #[test]
    fn tiny_populations() {
        for people in [0, 1, 2, 7] {
            let (manifest, files, _) = run(people, 1);
            assert_eq!(manifest.lists.len(), LISTS.len());
            for (i, fmt) in FORMATS.iter().enumerate() {
                let (_, rows) = records(&files[LISTS[i].2], fmt.delimiter);
                assert_eq!(rows.len() as u64, manifest.lists[i].2);
            }
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(excel_scientific(3209014506780001), "3.20901E+15");
        assert_eq!(excel_scientific(3210000000000000), "3.21E+15");
        assert_eq!(ymd(0), (1935, 1, 1));
        assert_eq!(ymd(N_DAYS as u16 - 1), (2024, 12, 31));
        assert_eq!(
            civil_from_days(days_from_civil(2005, 1, 1) + KK_DAYS as i32 - 1),
            (2024, 12, 31)
        );
        assert_eq!(
            days_from_civil(1945, 8, 17) - days_from_civil(1899, 12, 30),
            16_666
        );
        assert_eq!(
            title_case("ANDRÉ BIN H. KASMAN, S.Pd"),
            "André Bin H. Kasman, S.Pd"
        );
        assert_eq!(encode_cp1252("É–\u{A0}é"), vec![0xC9, 0x96, 0xA0, 0xE9]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..500 {
            let m = mistype_nik(&mut rng, "3209014508450002");
            assert_ne!(m, "3209014508450002");
            assert!(well_formed_nik(m.as_bytes()), "{m}");
        }
        assert_eq!(scramble(0, 100), scramble(0, 100));
        let ids: HashSet<u64> = (0..1000).map(|k| scramble(k, 1000)).collect();
        assert_eq!(ids.len(), 1000);
    }

    /// `cargo test --release --lib demo::tests::full_size -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn full_size() {
        let mut open = |_: &str| -> io::Result<Box<dyn Write>> { Ok(Box::new(io::sink())) };
        let m = generate(
            &DemoConfig {
                people: 1_900_000,
                seed: 1,
            },
            &mut open,
        )
        .unwrap();
        println!("{m:?}");
        assert!(m.lists[0].2 >= 1_500_000);
    }
}
