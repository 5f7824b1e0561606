"""NumPy softmax-regression trainer using the proved gradient formula."""
