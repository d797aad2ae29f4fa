"""The local embedding model (MiniLM over onnxruntime, shipped in the package) and vectors."""
