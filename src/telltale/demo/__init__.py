"""The worked example behind `telltale demo`, the examples and the end-to-end tests."""
