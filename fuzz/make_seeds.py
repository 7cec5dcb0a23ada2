#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into fuzz/corpus/: small files made here, one per kind of
input the fuzzer should start from. Run again after changing it; the output is committed."""
import json
import os
import struct
import zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# --- meshes: a tetrahedron in every format the upload takes -----------------------------------
V = [(0, 0, 0), (10, 0, 0), (0, 10, 0), (0, 0, 10)]
F = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]
put("fuzz_mesh", "tetra.obj", "".join(f"v {x} {y} {z}\n" for x, y, z in V) +
    "".join(f"f {a+1} {b+1} {c+1}\n" for a, b, c in F))
put("fuzz_mesh", "tetra_colours.obj", "".join(f"v {x} {y} {z} 0.5 0.2 0.9\n" for x, y, z in V) +
    "".join(f"f {a+1} {b+1} {c+1}\n" for a, b, c in F))
put("fuzz_mesh", "tetra.off", "OFF\n4 4 0\n" + "".join(f"{x} {y} {z}\n" for x, y, z in V) +
    "".join(f"3 {a} {b} {c}\n" for a, b, c in F))
put("fuzz_mesh", "tetra.ply", "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\n"
    "property float y\nproperty float z\nelement face 4\nproperty list uchar int vertex_indices\n"
    "end_header\n" + "".join(f"{x} {y} {z}\n" for x, y, z in V) +
    "".join(f"3 {a} {b} {c}\n" for a, b, c in F))
stl = "solid t\n"
for a, b, c in F:
    stl += "facet normal 0 0 0\nouter loop\n" + "".join(
        "vertex %d %d %d\n" % V[i] for i in (a, b, c)) + "endloop\nendfacet\n"
put("fuzz_mesh", "tetra_ascii.stl", stl + "endsolid t\n")
binary = b"binary stl".ljust(80, b" ") + struct.pack("<I", len(F))
for a, b, c in F:
    binary += struct.pack("<3f", 0, 0, 0) + b"".join(struct.pack("<3f", *V[i]) for i in (a, b, c))
    binary += b"\0\0"
put("fuzz_mesh", "tetra_binary.stl", binary)
positions = b"".join(struct.pack("<3f", *v) for v in V)
indices = b"".join(struct.pack("<3H", *f) for f in F)
buffer = positions + indices
gltf = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(buffer)}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": len(positions)},
                        {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3",
                       "min": [0, 0, 0], "max": [10, 10, 10]},
                      {"bufferView": 1, "componentType": 5123, "count": 12, "type": "SCALAR"}]}
text = json.dumps(gltf).encode()
text += b" " * (-len(text) % 4)
buffer += b"\0" * (-len(buffer) % 4)
glb = struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(text) + 8 + len(buffer))
glb += struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(buffer), b"BIN\0")
put("fuzz_mesh", "tetra.glb", glb + buffer)


# --- pictures: small PNGs, the first byte picks the product ----------------------------------
def png(width, height, colour_type, pixel):
    channels = {2: 3, 6: 4}[colour_type]
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)[:channels]) for x in range(width))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8,
                                                              colour_type, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


gradient = png(48, 64, 2, lambda x, y: (x * 5, y * 4, 128))
cutout = png(40, 40, 6, lambda x, y: (200, 80, 40, 255 if (x - 20) ** 2 + (y - 20) ** 2 < 200 else 0))
for product in range(4):
    put("fuzz_image", f"gradient_{product}.bin", bytes([product]) + gradient)
    put("fuzz_image", f"cutout_{product}.bin", bytes([product + 8]) + cutout)

# --- API bodies: the first byte picks the route (modulo the number of POST routes) ----------
address = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路 1 号",
           "detail": "1 室"}
bodies = [
    {"channel_ref": "seed-1", "customer": {"name": "张三", "phone": "13812345678", "address": address},
     "items": [{"product": "postcard-cn", "text": "新年快乐"},
               {"product": "figure-white", "asset": "0" * 64, "options": {"height_mm": 100}}]},
    {"reason": "customer asked", "version": 1},
    {"event": "reprepare", "reason": "x", "tuning": {"height_mm": 90, "rotate_deg": [0, 0, 15],
                                                     "zoom": 1.5, "crop_offset": [0, -1]}},
    {"field": "phone", "reason": "the courier needs to call", "ticket": 1},
    {"address": address, "reason": "moved"},
    {"order": "KS00000001", "type": "query", "channel": "phone", "level": 3, "subject": "s",
     "body": "b"},
    {"carrier": "manual", "tracking_number": "SF0000000001", "weight_g": 100, "size_mm": "10x10x10"},
    {"shipments": [1], "size": "100x150", "format": "pdf"},
    {"orders": ["KS00000001", 1]},
    {"item": 1, "reason": "print_defect", "evidence": []},
    {"event": "hand_over"},
    {"before": "2026-01-01T00:00:00Z"},
]
for route in range(40):
    put("fuzz_api", f"route{route:02d}.json", bytes([route]) + json.dumps(
        bodies[route % len(bodies)], ensure_ascii=False).encode())

# --- tracking pushes ---------------------------------------------------------------------------
put("fuzz_tracking_push", "kuaidi100.json", json.dumps({
    "carrier": "manual", "tracking_number": "SF1234567890",
    "events": [{"id": "e1", "time": "2026-11-23T10:00:00Z", "kuaidi100_state": 0,
                "description": "已揽收"},
               {"id": "e2", "time": "2026-11-24T10:00:00Z", "kuaidi100_state": 3,
                "description": "已签收"}]}, ensure_ascii=False))
put("fuzz_tracking_push", "aftership.json", json.dumps({
    "carrier": "manual", "tracking_number": "SF1234567890",
    "events": [{"id": "a1", "time": "2026-11-23T10:00:00Z", "tag": "InTransit"},
               {"id": "a2", "time": "2026-11-23T09:00:00Z", "tag": "Exception"}]}))

# --- hostile bodies (docs/reliability.md): nested just past the depth limit, a phone number in
# free text, control characters in a customer's name -------------------------------------------
deep = "[" * 40 + "]" * 40
for route in range(0, 40, 8):
    put("fuzz_api", f"deep{route:02d}.json", bytes([route]) + ('{"extra":' + deep + '}').encode())
put("fuzz_api", "phone_reason.json",
    bytes([1]) + json.dumps({"reason": "王五 138 1234 5678", "note": "x"}, ensure_ascii=False).encode())
put("fuzz_api", "control_name.json", bytes([0]) + json.dumps(
    {"channel_ref": "c", "customer": {"name": "A\u202eB\nC\u0000", "phone": "1",
     "address": {"province": "p", "city": "c", "detail": "d"}}, "items": []}).encode())
put("fuzz_tracking_push", "deep.json", '{"carrier":"manual","events":' + deep + '}')
