"""Model files: safetensors/PyTorch weights I/O, weights identity, published releases and their
download, the PaddlePaddle reader and ONNX export helpers."""
