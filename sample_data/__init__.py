"""Synthetic landing data for the credit-lists pipeline: a city's merchants and their 双公示
records, with the defects real feeds carry, generated deterministically from a seed."""

from sample_data.generate import Rates, generate

__all__ = ["Rates", "generate"]
