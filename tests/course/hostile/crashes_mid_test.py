"""Crashes the interpreter in the middle of a test (a real segmentation fault, as a broken C
extension or the interpreter itself would make): the run dies of SIGSEGV, not by an exit status."""
import faulthandler


def add(a, b):
    faulthandler._read_null()  # a real fault: a raised SIGSEGV is ignored by the first process of a PID namespace
