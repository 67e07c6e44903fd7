"""Word lists for the synthetic store (``synth.py``): a small department > aisle > shelf taxonomy with product nouns,
adjectives per department, and which shelf a purchase sends the shopper to next (complements)."""

# department -> aisle -> [(shelf, product noun, base price)]
TAXONOMY = {
    "Beauty": {
        "Skin": [("Moisturizers", "Moisturizer", 18), ("Serums", "Serum", 24), ("Cleansers", "Cleanser", 12),
                 ("Sunscreen", "Sunscreen SPF 50", 14)],
        "Hair": [("Shampoo", "Shampoo", 9), ("Conditioner", "Conditioner", 9), ("Hair Oil", "Hair Oil", 16)],
        "Makeup": [("Lipstick", "Lipstick", 11), ("Mascara", "Mascara", 10), ("Makeup Remover", "Micellar Water", 8)],
    },
    "Kitchen": {
        "Coffee": [("Coffee Grinders", "Burr Grinder", 60), ("Coffee Beans", "Whole Bean Coffee", 14),
                   ("Filters", "Paper Filters", 5)],
        "Cookware": [("Frying Pans", "Frying Pan", 35), ("Pot Lids", "Glass Lid", 12), ("Spatulas", "Silicone Spatula", 7)],
    },
    "Electronics": {
        "Phones": [("Smartphones", "Smartphone", 420), ("Phone Cases", "Phone Case", 15), ("Chargers", "USB-C Charger", 19),
                   ("Screen Protectors", "Screen Protector", 9)],
        "Audio": [("Headphones", "Wireless Headphones", 80), ("Ear Tips", "Silicone Ear Tips", 8)],
    },
    "Sports": {
        "Running": [("Running Shoes", "Running Shoes", 95), ("Running Socks", "Running Socks", 12),
                    ("Water Bottles", "Water Bottle", 15)],
        "Yoga": [("Yoga Mats", "Yoga Mat", 30), ("Yoga Blocks", "Cork Yoga Block", 14)],
    },
    "Pets": {
        "Dogs": [("Dog Food", "Dry Dog Food", 40), ("Dog Toys", "Chew Toy", 9), ("Leashes", "Leash", 16)],
        "Cats": [("Cat Litter", "Clumping Cat Litter", 18), ("Cat Food", "Wet Cat Food", 22),
                 ("Scratchers", "Cat Scratcher", 25)],
    },
    "Home": {
        "Bedding": [("Sheets", "Cotton Sheet Set", 45), ("Pillows", "Memory Foam Pillow", 35), ("Duvets", "Duvet", 70)],
        "Cleaning": [("Vacuum Cleaners", "Cordless Vacuum", 150), ("Vacuum Filters", "HEPA Filter", 15),
                     ("Detergent", "Laundry Detergent", 12)],
    },
}

# shelf -> shelves a purchase there leads to (the next visit is often one of these)
COMPLEMENTS = {
    "Smartphones": ["Phone Cases", "Chargers", "Screen Protectors"],
    "Headphones": ["Ear Tips", "Chargers"],
    "Coffee Grinders": ["Coffee Beans", "Filters"],
    "Coffee Beans": ["Filters"],
    "Frying Pans": ["Pot Lids", "Spatulas"],
    "Running Shoes": ["Running Socks", "Water Bottles"],
    "Yoga Mats": ["Yoga Blocks", "Water Bottles"],
    "Dog Food": ["Dog Toys", "Leashes"],
    "Cat Food": ["Cat Litter", "Scratchers"],
    "Sheets": ["Pillows", "Duvets"],
    "Vacuum Cleaners": ["Vacuum Filters"],
    "Shampoo": ["Conditioner", "Hair Oil"],
    "Cleansers": ["Moisturizers", "Serums"],
    "Moisturizers": ["Serums", "Sunscreen"],
    "Mascara": ["Makeup Remover"],
    "Lipstick": ["Makeup Remover"],
}

ADJECTIVES = {
    "Beauty": ["Hydrating", "Gentle", "Radiance", "Daily", "Repair", "Ultra-Light", "Nourishing", "Matte"],
    "Kitchen": ["Classic", "Pro", "Nonstick", "Ceramic", "Everyday", "Barista", "Compact"],
    "Electronics": ["Slim", "Rugged", "Fast", "Pro", "Lite", "Max", "Clear"],
    "Sports": ["Trail", "Road", "Lightweight", "Cushioned", "Grip", "Insulated"],
    "Pets": ["Grain-Free", "Salmon", "Chicken", "Durable", "Reflective", "Natural"],
    "Home": ["Soft", "Cooling", "Organic", "Quiet", "Fresh", "Allergy"],
}
VARIANTS = ["", "", "", "50 ml", "100 ml", "2-Pack", "Large", "Small", "Black", "White", "Blue", "Refill", "Travel Size"]
SYLLABLES = ["lu", "mo", "ra", "vel", "ko", "na", "zen", "tri", "sol", "ba", "ori", "fen", "da", "ly", "qui", "mar"]
COLORS = ["black", "white", "blue", "green", "red", "grey", "pink"]
