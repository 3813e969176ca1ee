"""What a senior centre's box and city hall agree on: the configuration schema and its
parsing, PIN hashing, colour contrast, where things live in the signed repository,
and writing files whole. Imported by both ``kiosk`` (the box) and
``kiosk_provisioning`` (city hall); imports neither, and never Qt.
"""
