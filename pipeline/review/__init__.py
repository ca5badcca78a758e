import click

@click.group("review")
def review_command():
    """stub"""
