"""Turkish provinces, with a few districts each, for seeded and validated addresses."""

from __future__ import annotations

# The 81 provinces (il). Districts (ilçe) for the largest ones; the rest use "Merkez".
PROVINCES: tuple[str, ...] = (
    "Adana", "Adıyaman", "Afyonkarahisar", "Ağrı", "Amasya", "Ankara", "Antalya", "Artvin", "Aydın",
    "Balıkesir", "Bilecik", "Bingöl", "Bitlis", "Bolu", "Burdur", "Bursa", "Çanakkale", "Çankırı",
    "Çorum", "Denizli", "Diyarbakır", "Edirne", "Elazığ", "Erzincan", "Erzurum", "Eskişehir",
    "Gaziantep", "Giresun", "Gümüşhane", "Hakkari", "Hatay", "Isparta", "Mersin", "İstanbul", "İzmir",
    "Kars", "Kastamonu", "Kayseri", "Kırklareli", "Kırşehir", "Kocaeli", "Konya", "Kütahya", "Malatya",
    "Manisa", "Kahramanmaraş", "Mardin", "Muğla", "Muş", "Nevşehir", "Niğde", "Ordu", "Rize", "Sakarya",
    "Samsun", "Siirt", "Sinop", "Sivas", "Tekirdağ", "Tokat", "Trabzon", "Tunceli", "Şanlıurfa", "Uşak",
    "Van", "Yozgat", "Zonguldak", "Aksaray", "Bayburt", "Karaman", "Kırıkkale", "Batman", "Şırnak",
    "Bartın", "Ardahan", "Iğdır", "Yalova", "Karabük", "Kilis", "Osmaniye", "Düzce",
)  # fmt: skip

DISTRICTS: dict[str, tuple[str, ...]] = {
    "İstanbul": ("Kadıköy", "Beşiktaş", "Üsküdar", "Şişli", "Bakırköy", "Ataşehir", "Sarıyer", "Fatih"),
    "Ankara": ("Çankaya", "Keçiören", "Yenimahalle", "Mamak", "Etimesgut"),
    "İzmir": ("Konak", "Karşıyaka", "Bornova", "Buca", "Çiğli"),
    "Bursa": ("Osmangazi", "Nilüfer", "Yıldırım"),
    "Antalya": ("Muratpaşa", "Konyaaltı", "Kepez"),
    "Adana": ("Seyhan", "Çukurova", "Yüreğir"),
    "Kocaeli": ("İzmit", "Gebze", "Darıca"),
    "Konya": ("Selçuklu", "Meram", "Karatay"),
    "Gaziantep": ("Şahinbey", "Şehitkamil"),
}
NEIGHBOURHOODS = ("Atatürk", "Cumhuriyet", "Yeni", "Merkez", "Fatih", "Bahçelievler", "Yıldız", "Zafer")


def districts(province: str) -> tuple[str, ...]:
    return DISTRICTS.get(province, ("Merkez",))
