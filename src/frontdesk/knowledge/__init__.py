"""Knowledge base: sources, loaders, chunking, embeddings, the index and hybrid search."""
